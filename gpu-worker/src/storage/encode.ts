// Image encoding with sharp (png/jpeg/webp); nearest-neighbour only where we upscale for display.
import sharp from "sharp";
import type { OutputFormat } from "@guidegate/shared";

export const CONTENT_TYPE: Record<OutputFormat, string> = { png: "image/png", jpeg: "image/jpeg", webp: "image/webp" };

export async function encodeImage(
  rgb: Uint8Array,
  width: number,
  height: number,
  format: OutputFormat,
): Promise<Uint8Array> {
  const img = sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width, height, channels: 3 } });
  const out = format === "png" ? img.png() : format === "jpeg" ? img.jpeg({ quality: 95 }) : img.webp({ quality: 95 });
  return new Uint8Array(await out.toBuffer());
}
