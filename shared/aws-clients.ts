import { S3Client } from '@aws-sdk/client-s3';
import type { Config } from './config.js';

/** The S3 client every entry point uses; endpoint and path style come from config (local emulator, LocalStack). */
export function createS3Client(config: Config['s3']): S3Client {
  return new S3Client({
    region: config.region,
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    forcePathStyle: config.forcePathStyle,
  });
}
