import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../../../shared/store/migrate.js';
import { createPool } from '../../../shared/store/pool.js';
import { INSERT_METHODS, insertRows, type RowValue, type TableShape } from '../../../shared/store/row-inserts.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';

/** Each way of writing a batch stores exactly the values given, whatever characters they hold. */

const TOOL_CALLS: TableShape = {
  table: 'tool_calls',
  columns: ['session_id', 'message_ordinal', 'call_index', 'call_id', 'name', 'input', 'input_text', 'result_text', 'is_error', 'result_timestamp'],
  types: ['text', 'int', 'int', 'text', 'text', 'jsonb', 'text', 'text', 'boolean', 'timestamptz'],
};

const AWKWARD = ['tab\there', 'line\nbreak', 'cr\r\nlf', 'back\\slash \\N \\t', '\\', 'quote "x" \'y\'', 'ünïcødé 🚀', '{braces,commas}', 'NULL', ''];

let database: FreshDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await freshDatabase();
  await runMigrations(database.url);
  pool = createPool({ connectionString: database.url, max: 1 });
});
afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

describe('insertRows', () => {
  it.each(INSERT_METHODS)('%s stores tabs, newlines, backslashes, quotes, unicode, empty strings and NULLs as given', async (method) => {
    // Prepare
    const session = `s-${method}`;
    await pool.query(`INSERT INTO sessionlake.objects (uri, bucket, key, kind) VALUES ($1, 'b', $1, 'session')`, [session]);
    await pool.query(`INSERT INTO sessionlake.sessions (id, object_uri, machine, agent, kind) VALUES ($1, $1, 'm', 'claude', 'session')`, [session]);
    const rows: RowValue[][] = AWKWARD.map((text, index) => [
      session, index, 0, index % 3 === 0 ? null : `call-${text}`, text, JSON.stringify({ text, list: [text, 1, true] }), text,
      index % 2 === 0 ? text : null, index % 3 === 0 ? null : index % 2 === 0, index % 4 === 0 ? null : '2026-05-01T10:00:00.123Z',
    ]);

    // Act
    const client = await pool.connect();
    try {
      await insertRows(client, TOOL_CALLS, rows, method);
    } finally {
      client.release();
    }

    // Assess
    const stored = await pool.query(
      `SELECT message_ordinal, call_id, name, input, input_text, result_text, is_error, result_timestamp
       FROM sessionlake.tool_calls WHERE session_id = $1 ORDER BY message_ordinal`,
      [session],
    );
    expect(stored.rows).toEqual(
      AWKWARD.map((text, index) => ({
        message_ordinal: index,
        call_id: index % 3 === 0 ? null : `call-${text}`,
        name: text,
        input: { text, list: [text, 1, true] },
        input_text: text,
        result_text: index % 2 === 0 ? text : null,
        is_error: index % 3 === 0 ? null : index % 2 === 0,
        result_timestamp: index % 4 === 0 ? null : new Date('2026-05-01T10:00:00.123Z'),
      })),
    );
  });
});
