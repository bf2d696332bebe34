/**
 * The in-memory stores for fauxqs's `buildApp({ stores })`, with one fix: S3 lists keys in UTF-8 byte order,
 * fauxqs 1.9.2 sorts them with `localeCompare` (so `-Users-a/…` comes after `-tmp/…`). `aws s3 sync` walks
 * the local tree and the listing side by side in byte order, so with fauxqs's order it takes such keys for
 * missing and uploads them again on every sync. The S3 store here lists in byte order, as S3 does.
 *
 * With `s3DataDir`, the S3 store also keeps every bucket and object in files there (s3-object-files.ts) and
 * loads them on start, so the local bucket survives a restart; fauxqs 1.9.2 itself is in-memory only.
 *
 * fauxqs exports `buildApp` but not its store classes, so they are loaded from its dist folder; the
 * version is pinned (1.9.2) and the subclasses only wrap public methods whose contract is in
 * node_modules/fauxqs/dist/s3/s3Store.d.ts, and fill the `buckets`/`bucketCreationDates` maps on load.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { buildApp } from 'fauxqs';
import { S3ObjectFiles, type PersistedObject } from './s3-object-files.js';

export type FauxqsStores = NonNullable<NonNullable<Parameters<typeof buildApp>[0]>['stores']>;

interface StoredObject {
  key: string;
}

export interface FauxqsStoreOptions {
  /** Keep the S3 buckets and objects in files under this folder (default: in memory only). */
  s3DataDir?: string | undefined;
}

interface ListOptions {
  prefix?: string;
  delimiter?: string;
  maxKeys?: number;
  startAfter?: string;
  marker?: string;
}

interface S3StoreInternals {
  buckets: Map<string, Map<string, StoredObject>>;
  bucketCreationDates: Map<string, Date>;
  multipartUploads: Map<string, { bucket: string }>;
}

interface S3StoreMethods {
  createBucket(name: string): void;
  deleteBucket(name: string): void;
  putObject(bucket: string, key: string, body: Buffer, contentType?: string, metadata?: Record<string, string>): PersistedObject;
  deleteObject(bucket: string, key: string): void;
  completeMultipartUpload(uploadId: string, partSpecs: { partNumber: number; etag: string }[]): PersistedObject;
  emptyBucket(name: string): void;
  clearObjects(): void;
  purgeAll(): void;
}

type StoreClass = new () => object;

export async function createFauxqsStores(options: FauxqsStoreOptions = {}): Promise<FauxqsStores> {
  const dist = fauxqsDistDir();
  const load = async (file: string, name: string): Promise<StoreClass> => {
    const module = (await import(pathToFileURL(path.join(dist, file)).href)) as Record<string, StoreClass>;
    const found = module[name];
    if (!found) throw new Error(`fauxqs: ${name} not found in ${file}; is fauxqs still 1.9.2?`);
    return found;
  };
  const [SqsStore, SnsStore, S3Store, S3Error] = await Promise.all([
    load('sqs/sqsStore.js', 'SqsStore'),
    load('sns/snsStore.js', 'SnsStore'),
    load('s3/s3Store.js', 'S3Store'),
    load('common/errors.js', 'S3Error') as Promise<unknown> as Promise<new (code: string, message: string, status: number) => Error>,
  ]);

  class ByteOrderS3Store extends S3Store {
    listObjects(bucket: string, listOptions?: ListOptions) {
      const objectsMap = (this as unknown as S3StoreInternals).buckets.get(bucket);
      if (!objectsMap) throw new S3Error('NoSuchBucket', `The specified bucket does not exist: ${bucket}`, 404);
      return listInByteOrder([...objectsMap.values()], listOptions);
    }
  }

  const s3Store = options.s3DataDir ? persistent(ByteOrderS3Store, new S3ObjectFiles(options.s3DataDir)) : new ByteOrderS3Store();
  return { sqsStore: new SqsStore(), snsStore: new SnsStore(), s3Store } as unknown as FauxqsStores;
}

/** Each change is written to `files` after the in-memory store applied it (so a refused change writes nothing). */
function persistent(Base: StoreClass, files: S3ObjectFiles): object {
  const Parent = Base as unknown as new () => S3StoreMethods;
  class FileBackedS3Store extends Parent {
    constructor() {
      super();
      const internals = this as unknown as S3StoreInternals;
      for (const bucket of files.loadBuckets()) {
        internals.buckets.set(bucket.name, new Map(bucket.objects.map((object) => [object.key, object])));
        internals.bucketCreationDates.set(bucket.name, bucket.creationDate);
      }
    }

    override createBucket(name: string): void {
      super.createBucket(name);
      files.saveBucket(name, (this as unknown as S3StoreInternals).bucketCreationDates.get(name) ?? new Date());
    }

    override deleteBucket(name: string): void {
      super.deleteBucket(name);
      files.removeBucket(name);
    }

    override putObject(bucket: string, key: string, body: Buffer, contentType?: string, metadata?: Record<string, string>) {
      const object = super.putObject(bucket, key, body, contentType, metadata);
      files.saveObject(bucket, object);
      return object;
    }

    override deleteObject(bucket: string, key: string): void {
      super.deleteObject(bucket, key);
      files.removeObject(bucket, key);
    }

    override completeMultipartUpload(uploadId: string, partSpecs: { partNumber: number; etag: string }[]) {
      const bucket = (this as unknown as S3StoreInternals).multipartUploads.get(uploadId)?.bucket;
      const object = super.completeMultipartUpload(uploadId, partSpecs);
      if (bucket !== undefined) files.saveObject(bucket, object);
      return object;
    }

    override emptyBucket(name: string): void {
      super.emptyBucket(name);
      if ((this as unknown as S3StoreInternals).buckets.has(name)) files.removeAllObjects(name);
    }

    override clearObjects(): void {
      super.clearObjects();
      for (const name of (this as unknown as S3StoreInternals).buckets.keys()) files.removeAllObjects(name);
    }

    override purgeAll(): void {
      const names = [...(this as unknown as S3StoreInternals).buckets.keys()];
      super.purgeAll();
      for (const name of names) files.removeBucket(name);
    }
  }
  return new FileBackedS3Store();
}

/** fauxqs's listing semantics (prefix, delimiter, start-after/marker, max-keys) over keys in UTF-8 byte order. */
export function listInByteOrder<T extends StoredObject>(
  all: readonly T[],
  options: ListOptions = {},
): { objects: T[]; commonPrefixes: string[]; isTruncated: boolean } {
  const prefix = options.prefix ?? '';
  const delimiter = options.delimiter;
  const maxKeys = options.maxKeys ?? 1000;
  const startAfter = options.startAfter ?? options.marker ?? '';
  const after = (key: string) => startAfter === '' || byteCompare(key, startAfter) > 0;
  const candidates = all.filter((object) => object.key.startsWith(prefix)).sort((a, b) => byteCompare(a.key, b.key));

  const objects: T[] = [];
  const commonPrefixes: string[] = [];
  let count = 0;
  let isTruncated = false;
  for (const object of candidates) {
    if (!after(object.key)) continue;
    if (delimiter) {
      const rest = object.key.slice(prefix.length);
      const index = rest.indexOf(delimiter);
      if (index >= 0) {
        const commonPrefix = prefix + rest.slice(0, index + delimiter.length);
        if (!after(commonPrefix) || commonPrefixes.at(-1) === commonPrefix) continue;
        if (count >= maxKeys) {
          isTruncated = true;
          break;
        }
        commonPrefixes.push(commonPrefix);
        count += 1;
        continue;
      }
    }
    if (count >= maxKeys) {
      isTruncated = true;
      break;
    }
    objects.push(object);
    count += 1;
  }
  return { objects, commonPrefixes, isTruncated };
}

function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** node_modules/fauxqs/dist as Node would resolve it from here (its exports map hides the files). */
function fauxqsDistDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'node_modules', 'fauxqs', 'dist');
    if (existsSync(path.join(candidate, 's3', 's3Store.js'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('fauxqs is not installed (node_modules/fauxqs/dist not found)');
    dir = parent;
  }
}
