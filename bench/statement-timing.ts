/**
 * Where the write path's time goes, statement by statement: every query any pg client of this process sends from
 * now until the returned function is called (pool.query's included), grouped by the statement's opening words
 * (schema name left out), with its count and the time from sending it until Postgres answered (a COPY: until its
 * stream finished). Times of statements on different connections overlap (the queue runs several batches at
 * once), so their sum is Postgres's share of the handlers' summed time, not of the wall clock.
 */
import pg from 'pg';

export interface StatementGroup {
  statement: string;
  count: number;
  ms: number;
}

export function timeClientStatements(): () => StatementGroup[] {
  const original = pg.Client.prototype.query;
  const groups = new Map<string, StatementGroup>();
  const note = (label: string, started: number) => {
    const group = groups.get(label) ?? { statement: label, count: 0, ms: 0 };
    group.count += 1;
    group.ms += performance.now() - started;
    groups.set(label, group);
  };
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const label = labelOf(args[0]);
    const started = performance.now();
    // pg.Pool's own query() (a plain read through the pool) passes a callback and gets no promise back.
    const callback = args[args.length - 1];
    if (typeof callback === 'function') {
      args[args.length - 1] = (...results: unknown[]) => {
        note(label, started);
        return (callback as (...a: unknown[]) => unknown)(...results);
      };
    }
    const result = (original as (...a: unknown[]) => unknown).apply(this, args);
    if (result instanceof Promise) {
      result.then(
        () => note(label, started),
        () => note(label, started),
      );
    } else if (result !== null && typeof result === 'object' && 'once' in result) {
      // A submittable (pg-copy-streams): done when its stream finishes or fails.
      const stream = result as NodeJS.EventEmitter;
      let done = false;
      const finish = () => {
        if (!done) note(label, started);
        done = true;
      };
      stream.once('finish', finish);
      stream.once('end', finish);
      stream.once('error', finish);
    }
    return result;
  } as typeof original;
  return () => {
    pg.Client.prototype.query = original;
    return [...groups.values()].sort((a, b) => b.ms - a.ms);
  };
}

function labelOf(query: unknown): string {
  const text =
    typeof query === 'string'
      ? query
      : query !== null && typeof query === 'object' && 'text' in query && typeof query.text === 'string'
        ? query.text
        : query !== null && typeof query === 'object'
          ? `${(query as { constructor: { name: string } }).constructor.name} ${String((query as { text?: unknown }).text ?? '')}`
          : String(query);
  // Values sent as literals (a simple query) would make every statement a group of its own: they read as '…'.
  return text.replace(/'(?:[^']|'')*'/g, "'…'").replace(/\s+/g, ' ').replace(/sessionlake\./g, '').trim().slice(0, 90);
}
