/**
 * The status page's style sheet, served as `/status.css` from this string so
 * that `deno compile` and URL imports carry it without reading files.
 * @module
 */

/** The CSS. */
export const STATUS_CSS = `:root {
  color-scheme: light dark;
  --fg: #1b1f23; --muted: #6a737d; --bg: #f6f8fa; --card: #fff; --line: #d1d5da; --accent: #0366d6;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root { --fg: #e1e4e8; --muted: #959da5; --bg: #0d1117; --card: #161b22; --line: #30363d; --accent: #58a6ff; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); }
header { display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap; padding: .75rem 1rem; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.25rem; margin: 0; }
h2 { font-size: 1.05rem; margin: 1.25rem 0 .5rem; }
main { padding: 0 1rem 2rem; max-width: 80rem; margin: 0 auto; }
.muted { color: var(--muted); margin: 0; font-size: .9rem; }
.cards { display: grid; gap: .75rem; grid-template-columns: repeat(auto-fill, minmax(18rem, 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: .5rem; padding: .75rem; }
.card h3 { font-size: 1rem; margin: 0 0 .25rem; word-break: break-all; }
.kind { font-size: .75rem; padding: .05rem .4rem; border-radius: 1rem; border: 1px solid var(--line); color: var(--muted); margin-left: .4rem; }
.card dl { display: grid; grid-template-columns: auto 1fr; gap: .15rem .75rem; margin: .5rem 0 0; font-size: .9rem; }
.card dt { color: var(--muted); }
.card dd { margin: 0; font-variant-numeric: tabular-nums; }
.preview { margin-top: .5rem; min-height: 2rem; border: 1px dashed var(--line); border-radius: .25rem; color: var(--muted); font-size: .8rem; display: flex; align-items: center; justify-content: center; }
.preview:empty::before { content: "preview"; }
.preview a { color: var(--accent); }
h1 a { color: inherit; text-decoration: none; }
.player video { display: block; width: 100%; max-width: 40rem; max-height: 70vh; margin: 1rem 0 .5rem; background: #000; }
.table-wrap { overflow-x: auto; background: var(--card); border: 1px solid var(--line); border-radius: .5rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); white-space: nowrap; font-variant-numeric: tabular-nums; }
th { color: var(--muted); font-weight: 600; }
tbody tr:last-child td { border-bottom: 0; }
button.kick { font: inherit; padding: .15rem .6rem; border-radius: .3rem; border: 1px solid #d73a49; background: transparent; color: #d73a49; cursor: pointer; }
button.kick:disabled { opacity: .5; cursor: default; }
@media (max-width: 40rem) {
  thead { display: none; }
  table, tbody, tr, td { display: block; width: 100%; }
  tr { border-bottom: 1px solid var(--line); padding: .4rem 0; }
  td { border: 0; padding: .1rem .6rem; white-space: normal; }
  td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); }
}
`;
