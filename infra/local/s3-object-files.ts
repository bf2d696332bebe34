/**
 * The local bucket's objects as files, so they survive a restart of the emulator (fauxqs 1.9.2 keeps them in
 * memory only). One folder per bucket; per object a JSON record (key, ETag, type, metadata, time) and the body
 * bytes in a file the record names. A write puts the new body file first and then replaces the record with an
 * atomic rename, so a crash mid-write leaves either the old object or the new one, never a mix.
 * Synchronous on purpose: the store's methods are synchronous and answer the client right after, so an upload
 * that got its 200 is on disk.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface PersistedObject {
  key: string;
  body: Buffer;
  contentType: string;
  contentLength: number;
  etag: string;
  lastModified: Date;
  metadata: Record<string, string>;
}

interface ObjectRecord {
  key: string;
  bodyFile: string;
  contentType: string;
  etag: string;
  lastModified: string;
  metadata: Record<string, string>;
}

export interface PersistedBucket {
  name: string;
  creationDate: Date;
  objects: PersistedObject[];
}

const BUCKET_RECORD = 'bucket.json';

export class S3ObjectFiles {
  constructor(private readonly root: string) {
    mkdirSync(root, { recursive: true });
  }

  loadBuckets(): PersistedBucket[] {
    const buckets: PersistedBucket[] = [];
    for (const entry of readdirSync(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = path.join(this.root, entry.name);
      const record = readJson<{ name: string; creationDate: string }>(path.join(dir, BUCKET_RECORD));
      if (!record) continue;
      buckets.push({ name: record.name, creationDate: new Date(record.creationDate), objects: this.loadObjects(dir) });
    }
    return buckets;
  }

  saveBucket(name: string, creationDate: Date): void {
    const dir = this.bucketDir(name);
    if (existsSync(path.join(dir, BUCKET_RECORD))) return;
    mkdirSync(dir, { recursive: true });
    writeAtomically(path.join(dir, BUCKET_RECORD), JSON.stringify({ name, creationDate: creationDate.toISOString() }));
  }

  removeBucket(name: string): void {
    rmSync(this.bucketDir(name), { recursive: true, force: true });
  }

  saveObject(bucket: string, object: PersistedObject): void {
    const dir = this.bucketDir(bucket);
    const recordFile = path.join(dir, `${keyId(object.key)}.json`);
    const previous = readJson<ObjectRecord>(recordFile);
    const bodyFile = `${keyId(object.key)}.${randomBytes(6).toString('hex')}.body`;
    writeAtomically(path.join(dir, bodyFile), object.body);
    const record: ObjectRecord = {
      key: object.key,
      bodyFile,
      contentType: object.contentType,
      etag: object.etag,
      lastModified: object.lastModified.toISOString(),
      metadata: object.metadata,
    };
    writeAtomically(recordFile, JSON.stringify(record));
    if (previous) rmSync(path.join(dir, previous.bodyFile), { force: true });
  }

  removeObject(bucket: string, key: string): void {
    const dir = this.bucketDir(bucket);
    const recordFile = path.join(dir, `${keyId(key)}.json`);
    const previous = readJson<ObjectRecord>(recordFile);
    rmSync(recordFile, { force: true });
    if (previous) rmSync(path.join(dir, previous.bodyFile), { force: true });
  }

  removeAllObjects(bucket: string): void {
    const dir = this.bucketDir(bucket);
    for (const file of readdirSync(dir, { withFileTypes: true }).map((entry) => entry.name)) {
      if (file !== BUCKET_RECORD) rmSync(path.join(dir, file), { recursive: true, force: true });
    }
  }

  private loadObjects(dir: string): PersistedObject[] {
    const objects: PersistedObject[] = [];
    const referenced = new Set<string>();
    const files = readdirSync(dir);
    for (const file of files) {
      if (!file.endsWith('.json') || file === BUCKET_RECORD) continue;
      const record = readJson<ObjectRecord>(path.join(dir, file));
      if (!record) continue;
      const body = readBody(path.join(dir, record.bodyFile));
      if (!body) continue;
      referenced.add(record.bodyFile);
      objects.push({
        key: record.key,
        body,
        contentType: record.contentType,
        contentLength: body.length,
        etag: record.etag,
        lastModified: new Date(record.lastModified),
        metadata: record.metadata,
      });
    }
    // Bodies and temp files of writes a crash interrupted.
    for (const file of files) {
      if ((file.endsWith('.body') && !referenced.has(file)) || file.includes('.tmp-')) rmSync(path.join(dir, file), { force: true });
    }
    return objects;
  }

  private bucketDir(name: string): string {
    return path.join(this.root, encodeURIComponent(name));
  }
}

/** Keys may hold any character and be longer than a file name may: the file name is a digest of the key. */
function keyId(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function writeAtomically(file: string, data: string | Buffer): void {
  const temporary = `${file}.tmp-${randomBytes(4).toString('hex')}`;
  writeFileSync(temporary, data);
  renameSync(temporary, file);
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function readBody(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}
