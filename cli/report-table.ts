/**
 * Plain-text tables for `sessionlake report`: columns padded to their widest cell, numbers right-aligned with
 * thousands separators, costs in dollars. No colours, so the output pastes anywhere.
 */

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  align?: 'left' | 'right';
}

export function renderTable<Row>(columns: Column<Row>[], rows: Row[], footer?: Row): string {
  const body = rows.map((row) => columns.map((column) => column.value(row)));
  const foot = footer === undefined ? [] : [columns.map((column) => column.value(footer))];
  const all = [columns.map((column) => column.header), ...body, ...foot];
  const widths = columns.map((_, index) => Math.max(...all.map((cells) => (cells[index] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, index) => (columns[index]?.align === 'right' ? cell.padStart(widths[index] ?? 0) : cell.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(all[0] ?? []), rule, ...body.map(line), ...(foot.length > 0 ? [rule, ...foot.map(line)] : [])].join('\n');
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatCount(value: number): string {
  return integer.format(value);
}

/** `$12.34`, with a `*` when some responses had no price (their cost is not in the sum). */
export function formatCost(costUsd: number, unpricedResponses: number): string {
  const text = costUsd >= 1 || costUsd === 0 ? `$${costUsd.toFixed(2)}` : `$${costUsd.toFixed(4)}`;
  return unpricedResponses > 0 ? `${text}*` : text;
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '';
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return hours > 0 ? `${hours}h${String(minutes).padStart(2, '0')}m` : `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
}

export function truncate(text: string | null, width: number): string {
  if (text === null) return '';
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= width ? oneLine : `${oneLine.slice(0, width - 1)}…`;
}
