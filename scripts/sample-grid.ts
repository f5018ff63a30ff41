// `npx tsx scripts/sample-grid.ts`: docs/sample-grid.png, held-out prompts (rows) x guidance
// scales (columns), same seed per row, so the effect of guidance is visible at a glance.
// MODEL=<dir> OUT=<png> draws another export (a training snapshot) instead.
import { resolve } from "node:path";
import sharp from "sharp";
import { openBench, render } from "@guidegate/eval";

const b = await openBench(process.env.MODEL ? resolve(process.env.MODEL) : undefined);
const out = resolve(process.env.OUT ?? resolve(import.meta.dirname, "../docs/sample-grid.png"));
const scales = [1, 1.5, 2, 3, 4, 6];
const rows = b.items.filter((_, i) => i % 37 === 0).slice(0, 6);
const cell = 96;
const labelW = 330;
const top = 30;
const tiles: sharp.OverlayOptions[] = [];
for (const [r, item] of rows.entries()) {
  for (const [c, scale] of scales.entries()) {
    const guidance = scale === 1 ? ({ policy: "none" } as const) : ({ policy: "cfg", scale } as const);
    const { rgb } = await render(b, { label: "", guidance, steps: 20 }, item.prompt, item.seed);
    const input = await sharp(Buffer.from(rgb), { raw: { width: 32, height: 32, channels: 3 } })
      .resize(cell, cell, { kernel: "nearest" })
      .png()
      .toBuffer();
    tiles.push({ input, left: labelW + c * (cell + 4), top: top + r * (cell + 4) });
  }
}
const W = labelW + scales.length * (cell + 4);
const H = top + rows.length * (cell + 4);
const text = [
  ...scales.map(
    (s, c) =>
      `<text x="${labelW + c * (cell + 4) + cell / 2}" y="20" text-anchor="middle">${s === 1 ? "unguided" : `CFG ${s}`}</text>`,
  ),
  ...rows.map((it, r) => `<text x="8" y="${top + r * (cell + 4) + cell / 2 + 5}">${it.prompt}</text>`),
].join("");
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="13"><rect width="100%" height="100%" fill="white"/>${text}</svg>`;
await sharp(Buffer.from(svg)).composite(tiles).png().toFile(out);
console.log(`wrote ${out}`);
await b.close();
