// The playground's stylesheet, served from /playground/app.css (a separate file keeps the CSP strict).

export const PLAYGROUND_CSS = `
:root { color-scheme: light dark; --accent: #4f7cff; --muted: #8a8f98; --line: #8a8f9840; }
* { box-sizing: border-box; }
[hidden] { display: none !important; } /* .row's flex must not show a hidden row */
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; }
header { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 12px;
  padding: 12px 20px; border-bottom: 1px solid var(--line); }
h1 { margin: 0; font-size: 18px; }
h1 span { color: var(--muted); font-weight: 400; }
dl.account, dl.meter { display: grid; grid-auto-flow: column; grid-template-rows: auto auto; gap: 0 14px; margin: 0; }
dt { color: var(--muted); font-size: 12px; }
dd { margin: 0; font-variant-numeric: tabular-nums; }
main { padding: 16px 20px; max-width: 1100px; }
form { display: flex; flex-direction: column; gap: 8px; margin-bottom: 14px; }
form#auth { flex-direction: row; flex-wrap: wrap; align-items: center; }
#token { flex: 1; min-width: 240px; font-family: ui-monospace, monospace; }
.row { display: flex; flex-wrap: wrap; align-items: center; gap: 10px; }
.row > label[for] { width: 120px; color: var(--muted); }
#prompt, #negative { flex: 1; min-width: 240px; }
.controls label, .check { display: inline-flex; align-items: center; gap: 6px; }
input, select, button { font: inherit; padding: 4px 8px; }
input[type=number] { width: 110px; }
button { cursor: pointer; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: #fff; }
button:disabled { opacity: .45; cursor: default; }
button#cancel { background: transparent; color: var(--accent); }
#seed-used, .status, #summary { color: var(--muted); }
#error { color: #d33; min-height: 1.2em; margin: 0 0 8px; }
#panels { display: flex; flex-wrap: wrap; gap: 20px; }
.panel { border: 1px solid var(--line); border-radius: 6px; padding: 12px; width: 282px; }
.panel h2 { margin: 0 0 8px; font-size: 15px; }
.panel .image { display: block; width: 256px; height: 256px; background: #8883;
  image-rendering: pixelated; }
.panel[data-state=idle] .image, .panel[data-state=running] .image { visibility: hidden; }
.panel .image:not([src]), .panel .image[src=""] { visibility: hidden; } /* no image yet: no broken-image icon */
.limit { color: var(--muted); font-size: 12px; white-space: nowrap; }
.bar { height: 4px; background: var(--line); margin: 8px 0; }
.bar .fill { height: 100%; width: 0; background: var(--accent); transition: width .1s; }
dl.meter { justify-content: start; }
.status { margin: 6px 0; min-height: 1.2em; }
.panel[data-state=failed] .status { color: #d33; }
.strip { display: flex; flex-wrap: wrap; gap: 2px; }
.strip img { width: 24px; height: 24px; image-rendering: pixelated; }
#summary { font-size: 15px; }
#source-canvas { width: 256px; height: 256px; image-rendering: pixelated; cursor: crosshair; touch-action: none;
  border: 1px solid var(--line); background: #8883; }
#mask-note { color: var(--muted); max-width: 260px; }
.panel .use { margin-bottom: 6px; }
`;
