// Image comparison for "same seed, same picture": byte identity and the largest per-channel difference.
import sharp from "sharp";

export interface ImageDiff {
  identicalBytes: boolean;
  /** Largest absolute difference of any channel of any pixel, in 0..255 (Infinity when sizes differ). */
  maxPixelDiff: number;
}

export async function compareImages(a: Uint8Array, b: Uint8Array): Promise<ImageDiff> {
  const identicalBytes = Buffer.from(a).equals(Buffer.from(b));
  const [ra, rb] = await Promise.all(
    [a, b].map((x) => sharp(Buffer.from(x)).removeAlpha().raw().toBuffer({ resolveWithObject: true })),
  );
  if (ra!.info.width !== rb!.info.width || ra!.info.height !== rb!.info.height)
    return { identicalBytes, maxPixelDiff: Infinity };
  let max = 0;
  for (let i = 0; i < ra!.data.length; i++) max = Math.max(max, Math.abs(ra!.data[i]! - rb!.data[i]!));
  return { identicalBytes, maxPixelDiff: max };
}
