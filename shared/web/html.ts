/**
 * HTML building blocks of the dashboard: escaping, the page frame, and how numbers are written. Every page is
 * rendered here on the server; the browser gets HTML and one stylesheet, no script (README "Dashboard").
 */

/** A piece of markup that is already safe: only `html` and the helpers here make one. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

type Part = Html | string | number | null | undefined | false | Html[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

/** Tagged template: interpolated values are escaped unless they are Html. */
export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0] ?? '';
  parts.forEach((part, index) => {
    out += render(part) + (strings[index + 1] ?? '');
  });
  return new Html(out);
}

export const raw = (markup: string): Html => new Html(markup);

export const NAV = [
  { href: '/usage', label: 'Usage' },
  { href: '/sessions', label: 'Sessions' },
  { href: '/search', label: 'Search' },
  { href: '/budgets', label: 'Budgets' },
  { href: '/pipeline', label: 'Pipeline' },
] as const;

export function page(options: { title: string; active: string; viewer: string; body: Html }): string {
  const nav = NAV.map(
    (item) => html`<li><a href="${item.href}"${item.href === options.active ? raw(' aria-current="page"') : ''}>${item.label}</a></li>`,
  );
  return `<!doctype html>${html`<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · sessionlake</title>
<link rel="stylesheet" href="/assets/dashboard.css">
</head><body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><span class="brand">sessionlake</span><nav aria-label="Pages"><ul>${nav}</ul></nav>
<span class="viewer">viewing as ${options.viewer}</span></header>
<main id="main" tabindex="-1"><h1>${options.title}</h1>${options.body}</main>
</body></html>`.value}`;
}

// Made once: toLocaleString builds a formatter on every call, which dominated the time of a year's Usage page.
const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const CENTS = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const WHOLE = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatCount(value: number): string {
  return COUNT.format(Math.round(value));
}

/** `$1,234.50`. */
export function formatUsd(usd: number): string {
  return `$${CENTS.format(usd)}`;
}

/** `$1,234` from $10 up, `$1.35` below: for chart axes. */
export function formatUsdShort(usd: number): string {
  return usd < 10 ? `$${CENTS.format(usd)}` : `$${WHOLE.format(usd)}`;
}

/** A cost; with unpriced responses it says so, never pretending they cost $0. */
export function formatCost(usd: number, unpricedResponses: number): Html {
  const cost = formatUsd(usd);
  if (unpricedResponses === 0) return html`${cost}`;
  const note = `${formatCount(unpricedResponses)} unpriced`;
  return usd === 0 && unpricedResponses > 0
    ? html`<span class="unpriced">unpriced</span> <span class="note">(${note})</span>`
    : html`${cost} <span class="unpriced">+ ${note}</span>`;
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

export function formatTime(iso: string | null): string {
  return iso === null ? '' : iso.replace('T', ' ').replace(/:\d\dZ$/, ' UTC');
}

export function truncate(text: string | null, length: number): string {
  if (text === null) return '';
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}

/** A link to `path` with `params` (empty values left out), so every view is a URL to bookmark. */
export function href(path: string, params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const query = search.toString();
  return query === '' ? path : `${path}?${query}`;
}
