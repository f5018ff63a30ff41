// Format and dimensions of an image from its first bytes, in plain TypeScript: the edge runs on
// Cloudflare Workers too, where sharp does not, so it checks headers and the worker decodes.

export type ImageFormat = "png" | "jpeg" | "webp";

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
  /** Whether the image can hold transparency (PNG with an alpha channel or tRNS; WebP with alpha). */
  alpha: boolean;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PNG_ALPHA_TYPES = new Set([4, 6]); // grey + alpha, RGBA

const u32 = (b: Uint8Array, at: number) => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const le24 = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16);
const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));

/** The header of a PNG, JPEG or WebP; null for anything else or a header cut short. */
export function readImageHeader(b: Uint8Array): ImageHeader | null {
  if (b.length >= 24 && PNG_MAGIC.every((v, i) => b[i] === v)) return pngHeader(b);
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) return jpegHeader(b);
  if (b.length >= 30 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 4) === "WEBP") return webpHeader(b);
  return null;
}

function pngHeader(b: Uint8Array): ImageHeader | null {
  if (ascii(b, 12, 4) !== "IHDR") return null;
  let alpha = PNG_ALPHA_TYPES.has(b[25]!);
  // A palette or grey PNG is transparent through a tRNS chunk, which comes before IDAT.
  for (let at = 8; !alpha && at + 8 <= b.length; ) {
    const type = ascii(b, at + 4, 4);
    if (type === "tRNS") alpha = true;
    if (type === "IDAT") break;
    at += 12 + u32(b, at);
  }
  return { format: "png", width: u32(b, 16), height: u32(b, 20), alpha };
}

// Start-of-frame markers carry the dimensions; C4 (DHT), C8 (JPG) and CC (DAC) are not frames.
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpegHeader(b: Uint8Array): ImageHeader | null {
  for (let at = 2; at + 9 <= b.length; ) {
    if (b[at] !== 0xff) return null;
    const marker = b[at + 1]!;
    if (isSof(marker)) return { format: "jpeg", height: u16(b, at + 5), width: u16(b, at + 7), alpha: false };
    at += 2 + u16(b, at + 2);
  }
  return null;
}

function webpHeader(b: Uint8Array): ImageHeader | null {
  const chunk = ascii(b, 12, 4);
  if (chunk === "VP8X")
    return { format: "webp", width: le24(b, 24) + 1, height: le24(b, 27) + 1, alpha: (b[20]! & 0x10) !== 0 };
  if (chunk === "VP8L") {
    const bits = b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24);
    return {
      format: "webp",
      width: (bits & 0x3fff) + 1,
      height: ((bits >>> 14) & 0x3fff) + 1,
      alpha: ((bits >>> 28) & 1) === 1,
    };
  }
  if (chunk === "VP8 ")
    return { format: "webp", width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff, alpha: false };
  return null;
}

const u16le = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);
