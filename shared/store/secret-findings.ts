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

  private constructor(
    private readonly client: pg.PoolClient,
    private readonly sessionId: string,
  ) {}

  /**
   * The findings of a session whose old findings are already gone: from `fromOrdinal` on (null: all) when the
   * session writer claimed it in this transaction; otherwise they are deleted here.
   */
  static async begin(client: pg.PoolClient, sessionId: string, options: { fromOrdinal: number | null; claimed: boolean }): Promise<SecretFindingWriter> {
    if (!options.claimed) {
      await client.query(`DELETE FROM ${SCHEMA}.secret_findings WHERE session_id = $1 AND ($2::int IS NULL OR message_ordinal >= $2)`, [
        sessionId,
        options.fromOrdinal,
      ]);
    }
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
  }

}
