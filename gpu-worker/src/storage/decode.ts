// An edit's images in, with sharp: the source as RGB and the mask as where to keep it, both
// resized to the model's resolution (the edge checked format and size from the headers only).
import sharp from "sharp";

/** Base64 image -> RGB uint8 [H, W, 3], stretched to width × height as OpenAI's edits do. */
export async function decodeSource(b64: string, width: number, height: number): Promise<Uint8Array> {
  const img = sharp(Buffer.from(b64, "base64")).removeAlpha().resize(width, height, { fit: "fill" });
  return new Uint8Array(await img.raw().toBuffer());
}

/**
 * Base64 PNG mask -> [H·W] 1 where the source is kept (any opacity), 0 where it is fully
 * transparent (OpenAI: paint there). Nearest-neighbour, so resizing never invents a half-kept pixel.
 */
export async function decodeKeepMask(b64: string, width: number, height: number): Promise<Uint8Array> {
  const alpha = await sharp(Buffer.from(b64, "base64"))
    .ensureAlpha()
    .resize(width, height, { fit: "fill", kernel: "nearest" })
    .extractChannel(3)
    .raw()
    .toBuffer();
  return Uint8Array.from(alpha, (a) => (a === 0 ? 0 : 1));
}
