// Side-by-side PNG for `npm run gen -- --compare a,b`: each image scaled up with nearest-neighbour
// (pixels stay crisp), placed in a row, labelled with policy and NFEs by an SVG overlay composited by sharp.
import sharp from "sharp";

export interface Tile {
  png: Uint8Array;
  title: string; // e.g. the policy
  caption: string; // e.g. "40 NFE · $0.002000"
}

const PAD = 16;
const LABEL_H = 52;
const FOOTER_H = 28;

const xml = (s: string): string =>
  s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[ch]!);

function overlay(tiles: Tile[], size: number, width: number, height: number, footer: string): string {
  const labels = tiles
    .map((t, i) => {
      const x = PAD + i * (size + PAD);
      const y = PAD + size;
      return `<text x="${x}" y="${y + 22}" class="t">${xml(t.title)}</text><text x="${x}" y="${y + 42}" class="c">${xml(t.caption)}</text>`;
    })
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
<style>.t{font:bold 17px sans-serif;fill:#111}.c{font:14px sans-serif;fill:#333}.f{font:12px sans-serif;fill:#666}</style>
${labels}<text x="${PAD}" y="${height - 10}" class="f">${xml(footer)}</text></svg>`;
}

/** One PNG: the tiles in a row at `size` px each, titles and captions under them, a footer line. */
export async function sideBySide(tiles: Tile[], opts: { size?: number; footer?: string } = {}): Promise<Buffer> {
  if (tiles.length === 0) throw new Error("sideBySide: no images");
  const size = opts.size ?? 256;
  const width = PAD + tiles.length * (size + PAD);
  const height = PAD + size + LABEL_H + FOOTER_H;
  const scaled = await Promise.all(
    tiles.map((t) => sharp(t.png).resize(size, size, { kernel: sharp.kernel.nearest, fit: "fill" }).png().toBuffer()),
  );
  return sharp({ create: { width, height, channels: 3, background: "#ffffff" } })
    .composite([
      ...scaled.map((input, i) => ({ input, left: PAD + i * (size + PAD), top: PAD })),
      { input: Buffer.from(overlay(tiles, size, width, height, opts.footer ?? "")), left: 0, top: 0 },
    ])
    .png()
    .toBuffer();
}
