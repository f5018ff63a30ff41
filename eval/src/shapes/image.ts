// RGB image view shared by the checker functions.

export interface RgbImage {
  /** Row-major HWC bytes, 3 per pixel. */
  data: Uint8Array;
  width: number;
  height: number;
}

/** Accepts a view or bare square HWC bytes (as `renderScene` returns). */
export function asRgbImage(image: RgbImage | Uint8Array): RgbImage {
  if (!(image instanceof Uint8Array)) {
    if (image.data.length !== image.width * image.height * 3) throw new Error("RGB image data does not match its size");
    return image;
  }
  const side = Math.round(Math.sqrt(image.length / 3));
  if (side * side * 3 !== image.length) throw new Error("bare RGB bytes must be a square HWC image");
  return { data: image, width: side, height: side };
}
