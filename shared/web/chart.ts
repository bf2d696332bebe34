import { html, raw, type Html } from './html.js';

/**
 * A stacked bar chart drawn as SVG on the server: one bar per period, one segment per group, each bar a link (to
 * that period's sessions) with a text label, so it works with a keyboard and a screen reader and needs no script.
 * The same numbers are in the table under it.
 */

export interface ChartBar {
  label: string;
  href: string;
  /** What a screen reader says for the bar. */
  description: string;
  segments: Array<{ group: string; value: number }>;
}

/** Distinguishable for the common colour blindnesses (Okabe–Ito), then greys. */
export const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000', '#999999'];

export function colourOf(groups: string[], group: string): string {
  const index = groups.indexOf(group);
  return PALETTE[index >= 0 ? index % PALETTE.length : PALETTE.length - 1] ?? '#999999';
}

export function stackedBars(bars: ChartBar[], groups: string[], formatValue: (value: number) => string, title: string): Html {
  const width = 960;
  const height = 300;
  const left = 70;
  const bottom = 40;
  const top = 10;
  const plotHeight = height - bottom - top;
  const max = Math.max(0, ...bars.map((bar) => bar.segments.reduce((sum, segment) => sum + segment.value, 0)));
  const scale = max > 0 ? plotHeight / max : 0;
  const slot = bars.length > 0 ? (width - left - 10) / bars.length : 0;
  const barWidth = Math.max(1, Math.min(48, slot * 0.8));
  const labelEvery = Math.max(1, Math.ceil(bars.length / 12));
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((fraction) => {
    const y = top + plotHeight - fraction * plotHeight;
    return html`<line x1="${left}" x2="${width - 10}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#d0d7de"/>
<text x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" font-size="12" fill="#4a5360">${formatValue(max * fraction)}</text>`;
  });
  const drawn = bars.map((bar, index) => {
    const x = left + index * slot + (slot - barWidth) / 2;
    let y = top + plotHeight;
    const rects = bar.segments
      .filter((segment) => segment.value > 0)
      .map((segment) => {
        const h = segment.value * scale;
        y -= h;
        return html`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${Math.max(h, 0.5).toFixed(1)}" fill="${colourOf(groups, segment.group)}"><title>${segment.group}: ${formatValue(segment.value)}</title></rect>`;
      });
    const label = index % labelEvery === 0
      ? html`<text x="${(x + barWidth / 2).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle" font-size="12" fill="#4a5360">${bar.label}</text>`
      : '';
    // An invisible full-height rect keeps small bars easy to click.
    return html`<a href="${bar.href}" aria-label="${bar.description}"><rect x="${(left + index * slot).toFixed(1)}" y="${top}" width="${slot.toFixed(1)}" height="${plotHeight}" fill="transparent"/>${rects}</a>${label}`;
  });
  return html`<svg class="chart" viewBox="0 0 ${width} ${height}" role="group" aria-label="${title}">${ticks}${drawn}${raw('')}</svg>`;
}
