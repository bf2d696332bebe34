/**
 * The dashboard's one stylesheet, served from /assets/dashboard.css. System fonts only (nothing fetched), colours
 * chosen for WCAG AA contrast on white, and one column under 700 px so a phone can read every page.
 */
export const DASHBOARD_CSS = `
:root { --fg: #1b1f24; --muted: #4a5360; --line: #d0d7de; --bg: #ffffff; --panel: #f6f8fa; --link: #0550ae; --accent: #0b5cad;
  --warn: #8a4600; --bad: #a40e26; --mark: #fff3b0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg); line-height: 1.45; font-size: 15px; }
a { color: var(--link); }
a:focus-visible, button:focus-visible, summary:focus-visible, input:focus-visible, select:focus-visible, main:focus-visible {
  outline: 3px solid #1f6feb; outline-offset: 2px; }
.skip { position: absolute; left: -9999px; top: 0; background: #fff; padding: 0.5rem; }
.skip:focus { left: 0.5rem; z-index: 10; }
.top { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1.5rem; padding: 0.6rem 1.25rem; border-bottom: 1px solid var(--line); background: var(--panel); }
.brand { font-weight: 700; }
.top ul { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; list-style: none; margin: 0; padding: 0; }
.top a[aria-current="page"] { font-weight: 700; color: var(--fg); text-decoration-thickness: 3px; }
.viewer { margin-left: auto; color: var(--muted); font-size: 0.9em; }
main { padding: 1rem 1.25rem 3rem; max-width: 1200px; }
h1 { font-size: 1.5rem; margin: 0.25rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 0.5rem; }
form.filters { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: flex-end; padding: 0.75rem; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; }
form.filters label { display: flex; flex-direction: column; font-size: 0.85rem; color: var(--muted); gap: 0.15rem; }
input, select, button { font: inherit; color: var(--fg); padding: 0.3rem 0.45rem; border: 1px solid #8c959f; border-radius: 4px; background: #fff; min-height: 2rem; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
.presets { display: flex; flex-wrap: wrap; gap: 0.25rem 0.75rem; margin: 0.5rem 0; }
.totals { display: flex; flex-wrap: wrap; gap: 0.75rem; margin: 1rem 0; padding: 0; list-style: none; }
.totals li { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 0.5rem 0.8rem; min-width: 9rem; }
.totals .label { display: block; font-size: 0.8rem; color: var(--muted); }
.totals .value { font-size: 1.2rem; font-weight: 600; }
.unpriced { color: var(--warn); font-weight: 600; }
.note { color: var(--muted); font-size: 0.9em; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
th, td { text-align: left; padding: 0.35rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.chart { width: 100%; height: auto; max-height: 320px; display: block; }
.chart a:focus-visible rect { stroke: #1f6feb; stroke-width: 3; }
.legend { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; list-style: none; padding: 0; margin: 0.5rem 0; font-size: 0.9rem; }
.swatch { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.3rem; vertical-align: -1px; border-radius: 2px; }
.pager { display: flex; gap: 1rem; margin: 1rem 0; align-items: center; flex-wrap: wrap; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0; }
.meta dt { color: var(--muted); }
.meta dd { margin: 0; overflow-wrap: anywhere; }
.msg { border: 1px solid var(--line); border-radius: 6px; margin: 0.75rem 0; padding: 0.5rem 0.75rem; }
.msg.user { background: #f3f8ff; }
.msg.assistant { background: #fff; }
.msg.system, .msg.tool { background: var(--panel); }
.msg:target { outline: 3px solid #bf8700; }
.msg header { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; font-size: 0.85rem; color: var(--muted); }
.msg header .role { font-weight: 700; color: var(--fg); text-transform: capitalize; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.4rem 0; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--panel); border: 1px solid var(--line); padding: 0.5rem; border-radius: 4px; font-size: 0.85rem; max-height: 30rem; overflow: auto; }
details { margin: 0.35rem 0; }
summary { cursor: pointer; color: var(--link); }
.call { border-left: 3px solid var(--accent); padding-left: 0.6rem; margin: 0.5rem 0; }
.call.error { border-left-color: var(--bad); }
.tag-error { color: var(--bad); font-weight: 600; }
mark { background: var(--mark); color: var(--fg); }
mark.redacted { background: #ffe2e0; color: var(--bad); font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.9em; }
.hits { list-style: none; padding: 0; }
.hits li { border-bottom: 1px solid var(--line); padding: 0.5rem 0; }
.bar { height: 0.6rem; background: #d0d7de; border-radius: 3px; min-width: 6rem; }
.bar span { display: block; height: 100%; background: var(--accent); border-radius: 3px; }
.bar.over span { background: var(--bad); }
.problem { color: var(--bad); }
@media (max-width: 700px) {
  body { font-size: 16px; }
  main { padding: 0.75rem; }
  .viewer { margin-left: 0; width: 100%; }
  form.filters { display: grid; grid-template-columns: 1fr 1fr; gap: 0.4rem 0.6rem; }
  form.filters input, form.filters select { width: 100%; min-width: 0; }
  form.filters button { grid-column: 1 / -1; }
  .meta { grid-template-columns: 1fr; }
  table.responsive thead { display: none; }
  table.responsive tr { display: block; border-bottom: 1px solid var(--line); padding: 0.4rem 0; }
  table.responsive td { display: flex; justify-content: space-between; gap: 1rem; border: 0; padding: 0.15rem 0; text-align: right; }
  table.responsive td::before { content: attr(data-label); color: var(--muted); text-align: left; }
}
`;
