import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { buildS3NotificationRecord, createSequencer, S3EventName, unquoteETag, type S3NotificationRecord } from '../local/s3-event.js';
import type { Random } from './random.js';
import { claudeTurns, codexTurns } from './sessions.js';

/**
 * The bucket as the chaos run writes it, kept beside the real one: every object's current bytes (or that it
 * was deleted), and the S3 notification each write produces. The ground truth is computed from this model's
 * final state alone, never from the database.
 */

export type ObjectRole = 'claude' | 'subagent' | 'sidecar' | 'codex';

export interface ModelObject {
  key: string;
  role: ObjectRole;
  machine: string;
  /** Current content; null once deleted (and until first created). */
  content: string | null;
  etag: string | null;
  created: boolean;
  /** Generator state, so a grow appends to the same session. */
  turns: number;
  sessionId: string;
  project: string;
  codexTotals: number[];
  withSidecar: boolean;
  /** For a Claude session: the sidecar keys its current content points to. */
  sidecarKeys: string[];
}

export type WriteKind = 'create' | 'grow' | 'rewrite' | 'scrub' | 'replace' | 'delete' | 'recreate';

export class ChaosBucket {
  readonly objects = new Map<string, ModelObject>();
  readonly writes: Record<WriteKind, number> = { create: 0, grow: 0, rewrite: 0, scrub: 0, replace: 0, delete: 0, recreate: 0 };
  private readonly nextSequencer = createSequencer();
  /** Writes one at a time, so the model's order is S3's order (workers rewrite objects too). */
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly region: string,
    private readonly random: Random,
    /** Where each write's notification goes (the fault channel). */
    private readonly notify: (record: S3NotificationRecord) => Promise<void>,
  ) {}

  /** Lays out `perMachine` sessions per machine: Claude (some with subagents and sidecars) and Codex. */
  plan(machines: string[], perMachine: number): void {
    for (const machine of machines) {
      for (let i = 0; i < perMachine; i += 1) {
        const roll = this.random.next();
        if (roll < 0.55) {
          const project = `proj${this.random.int(1, 4)}`;
          const sessionId = this.random.uuid();
          const base = `${machine}/raw/claude/-home-dev-${project}`;
          const withSidecar = this.random.chance(0.3);
          this.add({ key: `${base}/${sessionId}.jsonl`, role: 'claude', machine, sessionId, project, withSidecar });
          if (this.random.chance(0.3)) {
            this.add({ key: `${base}/${sessionId}/subagents/agent-${this.random.hex(8)}.jsonl`, role: 'subagent', machine, sessionId, project, withSidecar: false });
          }
        } else {
          const sessionId = this.random.uuid();
          const day = String(this.random.int(1, 28)).padStart(2, '0');
          this.add({ key: `${machine}/raw/codex/2026/10/${day}/rollout-2026-10-${day}T10-00-00-${sessionId}.jsonl`, role: 'codex', machine, sessionId, project: '', withSidecar: false });
        }
      }
    }
  }

  sessionKeys(): ModelObject[] {
    return [...this.objects.values()].filter((object) => object.role !== 'sidecar');
  }

  create(object: ModelObject): Promise<void> {
    return this.serialized(() => this.createNow(object));
  }

  grow(object: ModelObject): Promise<void> {
    return this.serialized(() => this.growNow(object));
  }

  rewrite(object: ModelObject): Promise<void> {
    return this.serialized(() => this.rewriteNow(object));
  }

  scrub(object: ModelObject): Promise<void> {
    return this.serialized(() => this.scrubNow(object));
  }

  replace(object: ModelObject): Promise<void> {
    return this.serialized(() => this.replaceNow(object));
  }

  delete(object: ModelObject): Promise<void> {
    return this.serialized(() => this.deleteNow(object));
  }

  private serialized(write: () => Promise<void>): Promise<void> {
    const next = this.last.then(write, write);
    this.last = next.catch(() => {});
    return next;
  }

  private async createNow(object: ModelObject): Promise<void> {
    const kind: WriteKind = object.created ? 'recreate' : 'create';
    object.turns = 0;
    object.codexTotals = [0, 0, 0, 0];
    await this.write(object, this.generate(object, this.random.int(1, 3), true), kind);
  }

  /** Appends turns: the log grew, aws s3 sync uploads the whole file again. */
  private async growNow(object: ModelObject): Promise<void> {
    if (object.content === null) return;
    await this.write(object, (object.content ?? '') + this.generate(object, this.random.int(1, 2), false), 'grow');
  }

  /** The file was cut and written again: shorter, different content under the same key. */
  private async rewriteNow(object: ModelObject): Promise<void> {
    object.turns = 0;
    object.codexTotals = [0, 0, 0, 0];
    await this.write(object, this.generate(object, 1, true), 'rewrite');
  }

  /**
   * What a secret scrubber does to a log already synced, and then the session goes on: bytes in the first half
   * edited in place, same length (far before the end, so a delta's check of the bytes before its resume point
   * still passes), then new turns appended. The edit changes token counts, which the ground truth compares.
   */
  private async scrubNow(object: ModelObject): Promise<void> {
    if (object.content === null) return;
    const half = Math.floor(object.content.length / 2);
    const edited = object.content.slice(0, half).replace(/"input_tokens":([1-9])/g, (_match, digit: string) => `"input_tokens":${digit === '9' ? '1' : Number(digit) + 1}`);
    await this.write(object, edited + object.content.slice(half) + this.generate(object, this.random.int(1, 2), false), 'scrub');
  }

  /** A different session under the same key (new ids, new tool calls, new sidecars). */
  private async replaceNow(object: ModelObject): Promise<void> {
    // A Claude file is named after its session, so only a Codex rollout gets a new session id.
    if (object.role === 'codex') object.sessionId = this.random.uuid();
    object.turns = 0;
    object.codexTotals = [0, 0, 0, 0];
    await this.write(object, this.generate(object, this.random.int(1, 3), true), 'replace');
  }

  private async deleteNow(object: ModelObject): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: object.key }));
    object.content = null;
    object.etag = null;
    this.writes.delete += 1;
    await this.notify(this.record(S3EventName.delete, object.key, undefined, undefined));
  }

  private async write(object: ModelObject, content: string, kind: WriteKind): Promise<void> {
    const response = await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: object.key, Body: content }));
    object.content = content;
    object.etag = unquoteETag(response.ETag ?? '');
    object.created = true;
    this.writes[kind] += 1;
    await this.notify(this.record(S3EventName.put, object.key, Buffer.byteLength(content), object.etag));
    if (object.role === 'claude') await this.writeSidecars(object);
  }

  /** The sidecars a Claude session's content points to, written after it (as Claude Code saves them). */
  private async writeSidecars(session: ModelObject): Promise<void> {
    for (const key of session.sidecarKeys) {
      const existing = this.objects.get(key);
      if (existing?.content !== null && existing?.content !== undefined) continue;
      const sidecar =
        existing ?? this.add({ key, role: 'sidecar', machine: session.machine, sessionId: session.sessionId, project: session.project, withSidecar: false });
      const content = Array.from({ length: this.random.int(50, 400) }, () => this.random.hex(40)).join('\n');
      await this.write(sidecar, content, sidecar.created ? 'recreate' : 'create');
    }
  }

  private generate(object: ModelObject, turns: number, fresh: boolean): string {
    let lines: string[];
    if (object.role === 'codex') {
      lines = codexTurns(this.random, object.sessionId, turns, { start: object.turns, totals: object.codexTotals });
    } else {
      const draft = claudeTurns(this.random, object.sessionId, object.project, turns, { withSidecar: object.withSidecar && object.turns === 0, start: object.turns });
      lines = draft.lines;
      if (fresh) object.sidecarKeys = [];
      const folder = object.key.slice(0, object.key.lastIndexOf('/'));
      object.sidecarKeys.push(...draft.sidecars.map((file) => `${folder}/${object.sessionId}/tool-results/${file}`));
    }
    object.turns += turns;
    return `${lines.join('\n')}\n`;
  }

  private add(seed: Pick<ModelObject, 'key' | 'role' | 'machine' | 'sessionId' | 'project' | 'withSidecar'>): ModelObject {
    const object: ModelObject = { ...seed, content: null, etag: null, created: false, turns: 0, codexTotals: [0, 0, 0, 0], sidecarKeys: [] };
    this.objects.set(object.key, object);
    return object;
  }

  private record(eventName: S3EventName, key: string, size: number | undefined, eTag: string | undefined): S3NotificationRecord {
    return buildS3NotificationRecord({
      eventName,
      bucket: this.bucket,
      key,
      ...(size === undefined ? {} : { size }),
      ...(eTag === undefined ? {} : { eTag }),
      sequencer: this.nextSequencer(),
      eventTime: new Date(),
      region: this.region,
    });
  }
}
