// The CLI's side-by-side composition: nearest-neighbour upscaling keeps pixels crisp, tiles sit
// in a row under their labels, and label text is XML-escaped before it reaches the SVG overlay.
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { sideBySide } from "../../../scripts/lib/side-by-side.ts";

/** A 32x32 PNG: left half `a`, right half `b` (RGB). */
async function halves(a: [number, number, number], b: [number, number, number]): Promise<Uint8Array> {
  const raw = Buffer.alloc(32 * 32 * 3);
  for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) raw.set(x < 16 ? a : b, (y * 32 + x) * 3);
  return sharp(raw, { raw: { width: 32, height: 32, channels: 3 } })
    .png()
    .toBuffer();
}

async function pixel(png: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [data[i]!, data[i + 1]!, data[i + 2]!];
}

describe("sideBySide", () => {
  it("scales each image with nearest-neighbour and places them in a row", async () => {
    const left = await halves([255, 0, 0], [0, 0, 255]);
    const right = await halves([0, 255, 0], [255, 255, 0]);
    const out = await sideBySide(
      [
        { png: left, title: "apg", caption: "40 NFE" },
        { png: right, title: "linear_ag", caption: "28 NFE" },
      ],
      { size: 256, footer: 'seed 7 · "quotes" & <tags>' },
    );
    const meta = await sharp(out).metadata();
    expect(meta.format).toBe("png");
    expect(meta.width).toBe(16 + 2 * (256 + 16));
    expect(meta.height).toBeGreaterThan(256 + 32);
    // Sharp edge at the half: the last left pixel and the first right one keep their pure colours.
    expect(await pixel(out, 16 + 127, 100)).toEqual([255, 0, 0]);
    expect(await pixel(out, 16 + 128, 100)).toEqual([0, 0, 255]);
    expect(await pixel(out, 16 + 272 + 10, 100)).toEqual([0, 255, 0]);
    expect(await pixel(out, 16 + 272 + 250, 100)).toEqual([255, 255, 0]);
    // Something (the labels) was drawn under the tiles.
    const { data, info } = await sharp(out).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    let dark = 0;
    for (let y = 16 + 256; y < info.height; y++)
      for (let x = 0; x < info.width; x++) if (data[(y * info.width + x) * 3]! < 128) dark++;
    expect(dark).toBeGreaterThan(50);
  });

  it("refuses an empty list", async () => {
    await expect(sideBySide([])).rejects.toThrow(/no images/);
  });
});
