import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import pgCopyStreams from 'pg-copy-streams';
import { SCHEMA } from './schema.js';

/**
 * Three ways to write a batch of rows in one round trip. `npm run bench` measures them on the same rows
 * (docs/performance.md); the session writer uses `copy`, the fastest there:
 * - `values`: one `INSERT … VALUES ($1, …), (…)` — a parameter per value, so a statement of 500 rows × 23
 *   columns is parsed and planned anew each time, and Postgres caps it at 65 535 parameters;
 * - `unnest`: `INSERT … SELECT FROM unnest($1::type[], …)` — one array parameter per column, one plan;
 * - `copy`: `COPY … FROM STDIN` (text format) through pg-copy-streams — no parameters, no plan, rows streamed.
 */

export const INSERT_METHODS = ['values', 'unnest', 'copy'] as const;
export type InsertMethod = (typeof INSERT_METHODS)[number];

export interface TableShape {
  /** Default: the sessionlake schema. */
  schema?: string;
  table: string;
  /** Column names as SQL (quoted where needed). */
  columns: readonly string[];
  /** Postgres type of each column, for `unnest`. */
  types: readonly string[];
}

/** Row values: null, string, number, boolean. jsonb values are JSON text. */
export type RowValue = string | number | boolean | null;

export async function insertRows(client: pg.ClientBase, shape: TableShape, rows: RowValue[][], method: InsertMethod): Promise<void> {
  if (rows.length === 0) return;
  switch (method) {
    case 'values':
      return insertValues(client, shape, rows);
    case 'unnest':
      return insertUnnest(client, shape, rows);
    case 'copy':
      return copyRows(client, shape, rows);
  }
}

function tableName(shape: TableShape): string {
  return `${shape.schema ?? SCHEMA}.${shape.table}`;
}

async function insertValues(client: pg.ClientBase, shape: TableShape, rows: RowValue[][]): Promise<void> {
  const values: RowValue[] = [];
  const tuples = rows.map((row) => {
    const placeholders = row.map((value) => {
      values.push(value);
      return `$${values.length}`;
    });
    return `(${placeholders.join(', ')})`;
  });
  await client.query(`INSERT INTO ${tableName(shape)} (${shape.columns.join(', ')}) VALUES ${tuples.join(', ')}`, values);
}

async function insertUnnest(client: pg.ClientBase, shape: TableShape, rows: RowValue[][]): Promise<void> {
  const values: unknown[] = [];
  await client.query(unnestInsert(shape, rows, values), values);
}

/**
 * `INSERT … SELECT FROM unnest(…)` of the rows, its column arrays appended to `values` (numbered after those
 * already there): a statement that can stand alone or be one part of a larger one (a data-modifying CTE).
 */
export function unnestInsert(shape: TableShape, rows: RowValue[][], values: unknown[]): string {
  const params = shape.types.map((type, column) => {
    values.push(rows.map((row) => row[column] ?? null));
    return `$${values.length}::${type}[]`;
  });
  return `INSERT INTO ${tableName(shape)} (${shape.columns.join(', ')}) SELECT * FROM unnest(${params.join(', ')})`;
}

async function copyRows(client: pg.ClientBase, shape: TableShape, rows: RowValue[][]): Promise<void> {
  const stream = client.query(pgCopyStreams.from(`COPY ${tableName(shape)} (${shape.columns.join(', ')}) FROM STDIN`));
  await pipeline(Readable.from(copyChunks(rows)), stream);
}

/** Rows in COPY text format, in chunks of about 256 KiB. */
function* copyChunks(rows: RowValue[][]): Generator<string> {
  let chunk = '';
  for (const row of rows) {
    chunk += copyLine(row);
    if (chunk.length >= 256 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

export function copyLine(row: readonly RowValue[]): string {
  let line = '';
  for (let index = 0; index < row.length; index += 1) {
    if (index > 0) line += '\t';
    line += copyField(row[index] ?? null);
  }
  return `${line}\n`;
}

const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_SPECIAL_ALL = /[\\\n\r\t]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One value in COPY text format: `\N` for NULL; backslash, newline, CR and tab escaped. */
function copyField(value: RowValue): string {
  if (value === null) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'number') return String(value);
  return COPY_SPECIAL.test(value) ? value.replace(COPY_SPECIAL_ALL, (char) => COPY_ESCAPES[char] ?? char) : value;
}
