/**
 * Uploads a local directory tree under a key prefix, the way `aws s3 sync` lays it out (relative paths,
 * `/` separators); files above the multipart threshold go up in parts, as the CLI does (8 MiB by default).
 */
import { readdir, open, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

export interface UploadProgress {
  files: number;
  totalFiles: number;
  bytes: number;
}

export interface UploadDirectoryOptions {
  s3: S3Client;
  bucket: string;
  localDir: string;
  /** Prepended to each relative path; a trailing `/` is added when missing. */
  keyPrefix: string;
  /** Report progress after every this many files (default 50), and once at the end. */
  every?: number;
  onProgress?: (progress: UploadProgress) => void;
  /** Files uploaded at once (default 4). */
  concurrency?: number;
  /** Files of at least this size use multipart upload (default 8 MiB; fauxqs refuses bodies over 11 MiB). */
  multipartThreshold?: number;
  /** Part size of multipart uploads (default 8 MiB, minimum 5 MiB as on S3). */
  partSize?: number;
  signal?: AbortSignal;
  /** Uploads only the files whose path relative to `localDir` (`/` separators) it accepts (default: every file). */
  include?: (relativePath: string) => boolean;
}

export interface UploadResult {
  files: number;
  bytes: number;
}

const MiB = 1024 * 1024;

export async function uploadDirectory(options: UploadDirectoryOptions): Promise<UploadResult> {
  const include = options.include;
  const listed = await listFiles(options.localDir);
  const files = include === undefined ? listed : listed.filter((file) => include(relativeKey(options.localDir, file)));
  const prefix = options.keyPrefix === '' || options.keyPrefix.endsWith('/') ? options.keyPrefix : `${options.keyPrefix}/`;
  const every = options.every ?? 50;
  const threshold = options.multipartThreshold ?? 8 * MiB;
  const partSize = Math.max(options.partSize ?? 8 * MiB, 5 * MiB);
  const progress: UploadProgress = { files: 0, totalFiles: files.length, bytes: 0 };

  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      options.signal?.throwIfAborted();
      const file = files[next++] as string;
      const key = prefix + relativeKey(options.localDir, file);
      const size = (await stat(file)).size;
      if (size >= threshold) await uploadMultipart(options, file, key, size, partSize);
      else await uploadWhole(options, file, key);
      progress.files += 1;
      progress.bytes += size;
      if (progress.files % every === 0 && progress.files < files.length) options.onProgress?.({ ...progress });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  options.onProgress?.({ ...progress });
  return { files: progress.files, bytes: progress.bytes };
}

function relativeKey(dir: string, file: string): string {
  return path.relative(dir, file).split(path.sep).join('/');
}

/** Regular files under `dir`, sorted; symbolic links are not followed. */
async function listFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (current: string): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true });
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) found.push(full);
    }
  };
  await walk(dir);
  return found.sort();
}

async function uploadWhole(options: UploadDirectoryOptions, file: string, key: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const body = await handle.readFile();
    await options.s3.send(new PutObjectCommand({ Bucket: options.bucket, Key: key, Body: body }), abortable(options.signal));
  } finally {
    await handle.close();
  }
}

async function uploadMultipart(options: UploadDirectoryOptions, file: string, key: string, size: number, partSize: number): Promise<void> {
  const { s3, bucket } = options;
  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }), abortable(options.signal));
  const uploadId = created.UploadId;
  if (!uploadId) throw new Error(`CreateMultipartUpload for ${key} returned no UploadId`);
  const handle = await open(file, 'r');
  try {
    const parts: Array<{ PartNumber: number; ETag: string }> = [];
    for (let offset = 0, partNumber = 1; offset < size; offset += partSize, partNumber += 1) {
      const length = Math.min(partSize, size - offset);
      const chunk = Buffer.alloc(length);
      const { bytesRead } = await handle.read(chunk, 0, length, offset);
      const uploaded = await s3.send(
        new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: chunk.subarray(0, bytesRead) }),
        abortable(options.signal),
      );
      parts.push({ PartNumber: partNumber, ETag: uploaded.ETag ?? '' });
    }
    await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      abortable(options.signal),
    );
  } catch (error) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => {});
    throw error;
  } finally {
    await handle.close();
  }
}

function abortable(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal ? { abortSignal: signal } : {};
}
