import { describe, expect, it } from 'vitest';
import { stackedBars } from '../../../shared/web/chart.js';
import { formatCost, href, html } from '../../../shared/web/html.js';
import { transcriptText } from '../../../shared/web/pages/session.js';
import { daysBefore, periodEnd, periodStart } from '../../../shared/web/periods.js';

describe('periods of the Usage page', () => {
  it('puts a day in its ISO week (from Monday) and its month', () => {
    // 2026-03-01 is a Sunday, 2026-03-02 a Monday (checked on a calendar).
    expect(periodStart('2026-03-01', 'week')).toBe('2026-02-23');
    expect(periodStart('2026-03-02', 'week')).toBe('2026-03-02');
    expect(periodEnd('2026-02-23', 'week')).toBe('2026-03-01');
    expect(periodStart('2024-02-29', 'month')).toBe('2024-02-01');
    expect(periodEnd('2024-02-01', 'month')).toBe('2024-02-29');
    expect(periodEnd('2026-12-01', 'month')).toBe('2026-12-31');
    expect(periodStart(null, 'week')).toBeNull();
    expect(daysBefore('2026-03-02', 7)).toBe('2026-02-24');
  });
});

describe('markup', () => {
  it('escapes what it interpolates, and keeps markup it was given', () => {
    expect(html`<p title="${'"><script>'}">${'a & b'}${html`<b>x</b>`}</p>`.value).toBe('<p title="&#34;&#62;&#60;script&#62;">a &#38; b<b>x</b></p>');
  });

  it('never shows unpriced usage as $0', () => {
    expect(formatCost(1.5, 0).value).toBe('$1.50');
    expect(formatCost(0, 2).value).toContain('unpriced');
    expect(formatCost(0, 2).value).not.toContain('$0');
    expect(formatCost(1234.5, 1).value).toBe('$1,234.50 <span class="unpriced">+ 1 unpriced</span>');
  });

  it('marks redaction markers in escaped transcript text', () => {
    expect(transcriptText('key <x> [REDACTED:github-pat:0123456789ab] end').value).toBe(
      'key &#60;x&#62; <mark class="redacted" title="a secret was removed here at ingest">[REDACTED:github-pat:0123456789ab]</mark> end',
    );
  });

  it('builds links from filters, leaving empty ones out', () => {
    expect(href('/sessions', { since: '2026-03-01', machine: undefined, q: 'a b', page: 0 })).toBe('/sessions?since=2026-03-01&q=a+b&page=0');
  });

  it('draws each bar as a link with its description, segments stacked in group order', () => {
    const svg = stackedBars(
      [{ label: '03-01', href: '/sessions?since=2026-03-01', description: 'day 2026-03-01: $3.00', segments: [{ group: 'a', value: 1 }, { group: 'b', value: 2 }] }],
      ['a', 'b'],
      (value) => `$${value}`,
      'cost per day',
    ).value;
    expect(svg.match(/<a /g)).toHaveLength(1);
    expect(svg).toContain('href="/sessions?since=2026-03-01" aria-label="day 2026-03-01: $3.00"');
    expect(svg).toContain('<title>a: $1</title>');
    expect(svg).toContain('<title>b: $2</title>');
  });
});
