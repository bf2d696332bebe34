import type pg from 'pg';
import type { FindingSink, SecretFinding } from '../redaction/redacting-sink.js';
import { SCHEMA } from './schema.js';

/**
 * Stores one session's secret findings inside the object's transaction: the session's old findings go when it is
 * re-ingested, new ones are inserted in batches, and the session's `secrets_found` count is set at the end.
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

  static async begin(client: pg.PoolClient, sessionId: string): Promise<SecretFindingWriter> {
    await client.query(`DELETE FROM ${SCHEMA}.secret_findings WHERE session_id = $1`, [sessionId]);
    return new SecretFindingWriter(client, sessionId);
  }

  /** A delta continues the session: only the findings of rows written again (from `fromOrdinal` on) go. */
  static async resume(client: pg.PoolClient, sessionId: string, fromOrdinal: number): Promise<SecretFindingWriter> {
    await client.query(`DELETE FROM ${SCHEMA}.secret_findings WHERE session_id = $1 AND message_ordinal >= $2`, [sessionId, fromOrdinal]);
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

  /** Writes what is left and the session's count. */
  async finish(): Promise<number> {
    await this.flush();
    const result = await this.client.query<{ secrets_found: number }>(
      `UPDATE ${SCHEMA}.sessions SET secrets_found = (SELECT count(*) FROM ${SCHEMA}.secret_findings WHERE session_id = $1)
       WHERE id = $1 RETURNING secrets_found`,
      [this.sessionId],
    );
    return result.rows[0]?.secrets_found ?? 0;
  }
}
