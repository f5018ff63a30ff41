// An edit's images checked before anything is claimed or reserved: each one a PNG, JPEG or WebP
// within the byte and pixel limits, a mask a PNG with transparency and the images' dimensions.
// Only headers are read here (any runtime); the worker decodes and resizes with sharp.
import { editImages, type GenerationRequest } from "@guidegate/shared";
import { invalidRequest } from "../errors.ts";
import { type ImageHeader, readImageHeader } from "./header.ts";

export interface EditLimits {
  /** Largest image (or mask) accepted, in decoded bytes. */
  imageBytes: number;
  /** Largest width × height accepted, so no decoder is asked to inflate a bomb. */
  maxPixels: number;
}

// Enough of the file for headers behind large EXIF or ICC chunks, without decoding all of it.
const HEADER_BASE64_CHARS = 256 * 1024;

const decodedBytes = (b64: string) =>
  Math.floor((b64.length * 3) / 4) - (b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0);

function headerOf(b64: string): ImageHeader | null {
  try {
    const head = atob(b64.slice(0, HEADER_BASE64_CHARS));
    return readImageHeader(Uint8Array.from(head, (ch) => ch.charCodeAt(0)));
  } catch {
    return null; // not base64 after all
  }
}

function checkOne(b64: string, param: string, limits: EditLimits): ImageHeader {
  if (decodedBytes(b64) > limits.imageBytes)
    throw invalidRequest("image_too_large", `${param} is larger than ${limits.imageBytes} bytes.`, param);
  const h = headerOf(b64);
  if (!h || h.width < 1 || h.height < 1)
    throw invalidRequest("invalid_image", `${param} is not a PNG, JPEG or WebP image.`, param);
  if (h.width * h.height > limits.maxPixels)
    throw invalidRequest(
      "image_too_large",
      `${param} is ${h.width}x${h.height}; at most ${limits.maxPixels} pixels are accepted.`,
      param,
    );
  return h;
}

function checkMask(b64: string, images: ImageHeader[], limits: EditLimits): void {
  const m = checkOne(b64, "mask", limits);
  if (m.format !== "png" || !m.alpha)
    throw invalidRequest(
      "invalid_mask",
      "mask must be a PNG with an alpha channel (transparent where to paint).",
      "mask",
    );
  if (images.some((h) => h.width !== m.width || h.height !== m.height))
    throw invalidRequest(
      "mask_mismatch",
      `mask is ${m.width}x${m.height}; it must have the image's dimensions.`,
      "mask",
    );
}

/** Throws the 400 naming the field at fault; a text-to-image request passes untouched. */
export function checkEditInputs(req: GenerationRequest, limits: EditLimits): void {
  const images = editImages(req);
  if (images.length === 0) {
    const stray = req.mask !== undefined ? "mask" : req.strength !== undefined ? "strength" : null;
    if (stray) throw invalidRequest("missing_image", `${stray} edits an image: send image too.`, "image");
    return;
  }
  const several = typeof req.image !== "string";
  const headers = images.map((b64, k) => checkOne(b64, several ? `image[${k}]` : "image", limits));
  if (req.mask !== undefined) checkMask(req.mask, headers, limits);
}
