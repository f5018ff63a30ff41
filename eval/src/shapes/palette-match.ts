// Nearest-palette-colour labelling; palette colours are far apart, so plain RGB distance separates them.
import { asRgbImage, type RgbImage } from "./image.ts";
import type { Rgb } from "./vocabulary.ts";

export interface PaletteTable {
  names: readonly string[];
  /** r,g,b per entry. */
  rgb: Float64Array;
}

export function paletteTable(palette: Readonly<Record<string, Rgb>>): PaletteTable {
  const names = Object.keys(palette);
  const rgb = new Float64Array(names.length * 3);
  for (const [i, name] of names.entries()) rgb.set(palette[name] as Rgb, i * 3);
  return { names, rgb };
}

function squaredDistanceTo(table: PaletteTable, index: number, r: number, g: number, b: number): number {
  const dr = r - table.rgb[index * 3]!;
  const dg = g - table.rgb[index * 3 + 1]!;
  const db = b - table.rgb[index * 3 + 2]!;
  return dr * dr + dg * dg + db * db;
}

/** Index of the nearest palette entry, skipping `excluded` (-1 excludes nothing). */
export function nearestPaletteIndex(table: PaletteTable, r: number, g: number, b: number, excluded = -1): number {
  let best = -1;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let i = 0; i < table.names.length; i++) {
    if (i === excluded) continue;
    const d = squaredDistanceTo(table, i, r, g, b);
    if (d < bestDistance) {
      bestDistance = d;
      best = i;
    }
  }
  return best;
}

/** Nearest palette index of every pixel. */
export function labelPixels(image: RgbImage, table: PaletteTable): Uint8Array {
  const count = image.width * image.height;
  const labels = new Uint8Array(count);
  const data = image.data;
  for (let p = 0; p < count; p++) {
    labels[p] = nearestPaletteIndex(table, data[p * 3]!, data[p * 3 + 1]!, data[p * 3 + 2]!);
  }
  return labels;
}

/**
 * Mean over pixels of the RGB distance (0..441) to the nearest palette colour: 0 for clean renders,
 * grows with noise, blur, colour drift and oversaturation artifacts.
 */
export function paletteDistance(image: RgbImage | Uint8Array, palette: Readonly<Record<string, Rgb>>): number {
  const view = asRgbImage(image);
  const table = paletteTable(palette);
  const count = view.width * view.height;
  const data = view.data;
  let total = 0;
  for (let p = 0; p < count; p++) {
    const r = data[p * 3]!;
    const g = data[p * 3 + 1]!;
    const b = data[p * 3 + 2]!;
    total += Math.sqrt(squaredDistanceTo(table, nearestPaletteIndex(table, r, g, b), r, g, b));
  }
  return count === 0 ? 0 : total / count;
}
