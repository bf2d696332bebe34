import { isRecord } from '../values.js';

/**
 * Gemini CLI's conversation as its own reader rebuilds it (`loadConversationRecord` in
 * @google/gemini-cli 0.61.0's core bundle), plus what that reader forgets: records are replayed in file order,
 * the LAST copy of each message id wins, at the position its FIRST copy took. Pure bookkeeping: no row is made
 * here. Each copy is kept as `read` makes it when it arrives: the parser keeps what its rows need, not the whole
 * parsed record (every message is held to the end of the file; docs/performance.md has what that costs).
 *
 * Record kinds, tested in the CLI's order:
 * - `{"$rewindTo": id}`: that message and every message after it leave the conversation (an id not in it: all
 *   of them). They stay in `messages`, marked `rewound`: their responses were generated and billed;
 * - a record with a string `id`: a message (re-appended whole whenever it changes: tokens and tool calls arrive
 *   in later copies); it is (again) in the conversation;
 * - `{"$set": {…}}`: metadata merged in; `$set.messages` (an array) REPLACES the conversation: messages left out
 *   of it are kept, marked `replaced`;
 * - a record with string `sessionId` and `projectHash`: metadata (line 1 of a JSONL file, or the whole legacy
 *   `session-*.json` document, whose `messages` array is read as messages);
 * - anything else is not the CLI's and is reported to the caller.
 */

/** Why a message is no longer in the conversation the CLI would load; null while it is. */
export type Departure = 'rewound' | 'replaced' | null;

export interface StoredMessage<T> {
  /** Its last copy, as `read` made it. */
  message: T;
  departed: Departure;
  /** Where its last copy was read (the line of the `$set`/metadata record that carried it, for those). */
  lineNumber: number;
  byteOffset: number;
  /** Its place in the conversation's running order when it last entered it (see `Conversation.order`). */
  enteredAt: number;
}

export interface ConversationMetadata {
  sessionId: string | null;
  projectHash: string | null;
  startTime: unknown;
  lastUpdated: unknown;
  kind: string | null;
  summary: string | null;
  directories: string[];
}

export type RecordKind = 'rewind' | 'message' | 'set' | 'metadata' | 'unknown';

export class Conversation<T> {
  /** Every message id ever written, in first-written order, with its last copy (updated in place). */
  readonly messages = new Map<string, StoredMessage<T>>();
  /**
   * The conversation the CLI would load, in its order, with stale places: a message is appended when it enters
   * (first written, or written again after it left) and stays put while it is in; a place is current when its
   * message has not departed and entered there (`enteredAt`). Read only by a rewind or a replaced history, so
   * the common line (a new or re-appended message) costs one map lookup and no set.
   */
  private order: StoredMessage<T>[] = [];
  /** Message copies that replaced an earlier copy of the same id. */
  replacedCopies = 0;
  readonly metadata: ConversationMetadata = {
    sessionId: null,
    projectHash: null,
    startTime: undefined,
    lastUpdated: undefined,
    kind: null,
    summary: null,
    directories: [],
  };

  /** `read`: what to keep of a message record (called once per copy, with a record whose `id` is a string). */
  constructor(private readonly read: (record: Record<string, unknown>) => T) {}

  apply(record: Record<string, unknown>, lineNumber: number, byteOffset: number): RecordKind {
    const rewindTo = record['$rewindTo'];
    if (typeof rewindTo === 'string') {
      this.rewind(rewindTo);
      return 'rewind';
    }
    if (typeof record['id'] === 'string') {
      this.put(record, lineNumber, byteOffset);
      return 'message';
    }
    const set = record['$set'];
    if (isRecord(set)) {
      if (Array.isArray(set['messages'])) {
        this.depart(this.live(), 'replaced');
        this.putAll(set['messages'], lineNumber, byteOffset);
      }
      this.merge(set);
      return 'set';
    }
    if (typeof record['sessionId'] === 'string' && typeof record['projectHash'] === 'string') {
      this.merge(record);
      if (Array.isArray(record['messages'])) this.putAll(record['messages'], lineNumber, byteOffset);
      return 'metadata';
    }
    return 'unknown';
  }

  private put(record: Record<string, unknown>, lineNumber: number, byteOffset: number): void {
    const id = record['id'] as string;
    const message = this.read(record);
    const stored = this.messages.get(id);
    if (stored === undefined) {
      const entered: StoredMessage<T> = { message, departed: null, lineNumber, byteOffset, enteredAt: this.order.length };
      this.messages.set(id, entered);
      this.order.push(entered);
      return;
    }
    this.replacedCopies += 1;
    stored.message = message;
    stored.lineNumber = lineNumber;
    stored.byteOffset = byteOffset;
    if (stored.departed !== null) {
      stored.departed = null;
      stored.enteredAt = this.order.length;
      this.order.push(stored);
    }
  }

  /** The messages in the conversation, in its order (and the running order compacted to them). */
  private live(): StoredMessage<T>[] {
    const live = this.order.filter((stored, at) => stored.departed === null && stored.enteredAt === at);
    for (const [at, stored] of live.entries()) stored.enteredAt = at;
    this.order = [...live];
    return live;
  }

  private depart(messages: StoredMessage<T>[], why: Exclude<Departure, null>): void {
    for (const stored of messages) stored.departed = why;
  }

  private putAll(list: unknown[], lineNumber: number, byteOffset: number): void {
    for (const message of list) {
      if (isRecord(message) && typeof message['id'] === 'string') this.put(message, lineNumber, byteOffset);
    }
  }

  private rewind(id: string): void {
    const live = this.live();
    const target = this.messages.get(id);
    const at = target === undefined ? -1 : live.indexOf(target);
    this.depart(at === -1 ? live : live.slice(at), 'rewound');
  }

  private merge(fields: Record<string, unknown>): void {
    const meta = this.metadata;
    if (typeof fields['sessionId'] === 'string') meta.sessionId = fields['sessionId'];
    if (typeof fields['projectHash'] === 'string') meta.projectHash = fields['projectHash'];
    if ('startTime' in fields) meta.startTime = fields['startTime'];
    if ('lastUpdated' in fields) meta.lastUpdated = fields['lastUpdated'];
    if (typeof fields['kind'] === 'string') meta.kind = fields['kind'];
    if (typeof fields['summary'] === 'string') meta.summary = fields['summary'];
    if (Array.isArray(fields['directories'])) {
      meta.directories = fields['directories'].filter((entry): entry is string => typeof entry === 'string');
    }
  }
}
