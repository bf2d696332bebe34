import type pg from 'pg';
import type { FindingSink, SecretFinding } from '../redaction/redacting-sink.js';
import { SCHEMA } from './schema.js';

/**
 * Stores one session's secret findings inside the object's transaction: the session's old findings go when it is
 * re-ingested (deleted with its rows when the session writer claims it), new ones are inserted in batches, and
 * the session's `secrets_found` count is set with its summary (SessionWriter.finish, after the last flush).
 * A finding holds where the secret was, its rule and its short hash: never the value.
 */

const COLUMNS = ['session_id', 'message_ordinal', 'call_index', 'field', 'rule', 'hash'] as const;
const BATCH_ROWS = 1000;

export class SecretFindingWriter implements FindingSink {
  private pending: SecretFinding[] = [];
  /** Rows inserted so far. */
  written = 0;

  private constructor(
    private readonly client: pg.PoolClient,
    private readonly sessionId: string,
  ) {}

  /**
   * The findings of a session the session writer claimed in this transaction, which deleted its old findings
   * (from the resume point on, or all) and counted those it kept.
   */
  static begin(client: pg.PoolClient, sessionId: string, options: { claimed: boolean }): SecretFindingWriter {
    if (!options.claimed) throw new Error(`the secret findings of session ${sessionId} begin after its claim (beginSession or resumeSession)`);
    return new SecretFindingWriter(client, sessionId);
  }

  add(finding: SecretFinding): void {
    this.pending.push(finding);
  }

  shouldFlush(): boolean {
    return this.pending.length >= BATCH_ROWS;
  }

  async flush(): Promise<void> {
    const rows = this.pending;
    this.pending = [];
    if (rows.length === 0) return;
    const values: unknown[] = [];
    const tuples = rows.map((finding) => {
      values.push(this.sessionId, finding.messageOrdinal, finding.callIndex, finding.field, finding.rule, finding.hash);
      const base = values.length - COLUMNS.length;
      return `(${COLUMNS.map((_, i) => `$${base + i + 1}`).join(', ')})`;
    });
    await this.client.query(`INSERT INTO ${SCHEMA}.secret_findings (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, values);
    this.written += rows.length;
  }
}
