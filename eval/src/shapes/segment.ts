// Splits a labelled image into background and the single shape: border mode, largest component, holes filled.

export interface Segmentation {
  backgroundIndex: number;
  /** Fraction of border pixels labelled with the background colour. */
  backgroundAgreement: number;
  /** 1 on the shape: the largest non-background 4-connected component with its holes filled. */
  mask: Uint8Array;
  /** Pixels of the component before hole filling (their colours decide the shape colour). */
  componentPixels: number[];
  area: number;
  /** Inclusive pixel bounding box of `mask`; empty mask gives x0 > x1. */
  bbox: { x0: number; y0: number; x1: number; y1: number };
}

function borderPixels(width: number, height: number): number[] {
  const pixels: number[] = [];
  for (let x = 0; x < width; x++) {
    pixels.push(x);
    if (height > 1) pixels.push((height - 1) * width + x);
  }
  for (let y = 1; y < height - 1; y++) {
    pixels.push(y * width);
    if (width > 1) pixels.push(y * width + width - 1);
  }
  return pixels;
}

function borderMode(labels: Uint8Array, width: number, height: number): { index: number; agreement: number } {
  const border = borderPixels(width, height);
  const counts = new Map<number, number>();
  for (const p of border) counts.set(labels[p]!, (counts.get(labels[p]!) ?? 0) + 1);
  let index = 0;
  let best = -1;
  for (const [label, count] of counts) {
    if (count > best || (count === best && label < index)) {
      best = count;
      index = label;
    }
  }
  return { index, agreement: border.length === 0 ? 0 : best / border.length };
}

/** 4-connected flood fill over pixels where `member(p)` holds; returns the pixels reached. */
function floodFill(start: number, width: number, height: number, member: (p: number) => boolean, seen: Uint8Array) {
  const reached: number[] = [];
  const stack = [start];
  seen[start] = 1;
  while (stack.length > 0) {
    const p = stack.pop()!;
    reached.push(p);
    const x = p % width;
    const neighbours = [x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, p - width, p + width];
    for (const q of neighbours) {
      if (q < 0 || q >= width * height || seen[q] || !member(q)) continue;
      seen[q] = 1;
      stack.push(q);
    }
  }
  return reached;
}

function largestComponent(labels: Uint8Array, width: number, height: number, backgroundIndex: number): number[] {
  const seen = new Uint8Array(width * height);
  const isShape = (p: number) => labels[p] !== backgroundIndex;
  let largest: number[] = [];
  for (let p = 0; p < width * height; p++) {
    if (seen[p] || !isShape(p)) continue;
    const component = floodFill(p, width, height, isShape, seen);
    if (component.length > largest.length) largest = component;
  }
  return largest;
}

/** Everything not reachable from the border without crossing the component counts as shape. */
function filledMask(component: number[], width: number, height: number): Uint8Array {
  const inComponent = new Uint8Array(width * height);
  for (const p of component) inComponent[p] = 1;
  const outside = new Uint8Array(width * height);
  const isOpen = (p: number) => inComponent[p] === 0;
  for (const p of borderPixels(width, height)) {
    if (!outside[p] && isOpen(p)) floodFill(p, width, height, isOpen, outside);
  }
  const mask = new Uint8Array(width * height);
  for (let p = 0; p < width * height; p++) mask[p] = outside[p] ? 0 : 1;
  return mask;
}

export function segmentShape(labels: Uint8Array, width: number, height: number): Segmentation {
  const { index: backgroundIndex, agreement } = borderMode(labels, width, height);
  const componentPixels = largestComponent(labels, width, height, backgroundIndex);
  const mask = filledMask(componentPixels, width, height);
  const bbox = { x0: width, y0: height, x1: -1, y1: -1 };
  let area = 0;
  for (let p = 0; p < width * height; p++) {
    if (!mask[p]) continue;
    area++;
    const x = p % width;
    const y = (p - x) / width;
    bbox.x0 = Math.min(bbox.x0, x);
    bbox.x1 = Math.max(bbox.x1, x);
    bbox.y0 = Math.min(bbox.y0, y);
    bbox.y1 = Math.max(bbox.y1, y);
  }
  return { backgroundIndex, backgroundAgreement: agreement, mask, componentPixels, area, bbox };
}
