// Attribute checker for shapes-model outputs: reads background, colour, shape and size back from pixels.
import { asRgbImage, type RgbImage } from "./image.ts";
import { labelPixels, nearestPaletteIndex, paletteTable } from "./palette-match.ts";
import { segmentShape } from "./segment.ts";
import { chooseTemplate, fitTemplates } from "./template-fit.ts";
import { DEFAULT_SHAPES_VOCABULARY, type ShapeAttributes, type ShapesVocabulary } from "./vocabulary.ts";

export { paletteDistance } from "./palette-match.ts";
export { parsePrompt, promptOf } from "./prompt.ts";
export type { RgbImage } from "./image.ts";

export interface AttributeReading {
  background: string;
  /** null when no shape pixels were found. */
  color: string | null;
  shape: string | null;
  size: string | null;
  /** Fraction of border pixels with the background colour. */
  backgroundConfidence: number;
  /** Fraction of shape-component pixels whose nearest palette colour is `color`. */
  colorConfidence: number;
  /** IoU of the shape mask with the best-fitting template (1 for clean renders up to sub-pixel placement). */
  shapeFit: number;
  /** Best template IoU minus the runner-up's; small margins mean an ambiguous shape or size. */
  shapeMargin: number;
  /** Shape-mask pixels, holes filled. */
  area: number;
}

export interface PromptCheck {
  background: boolean;
  color: boolean;
  shape: boolean;
  size: boolean;
  all: boolean;
}

export interface ShapeGeometry {
  /** Mask centroid in image pixels, pixel centres at +0.5. */
  cx: number;
  cy: number;
  area: number;
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function segmentImage(view: RgbImage, vocabulary: ShapesVocabulary) {
  const table = paletteTable(vocabulary.palette);
  const labels = labelPixels(view, table);
  return { table, labels, segmentation: segmentShape(labels, view.width, view.height) };
}

export function readAttributes(
  image: RgbImage | Uint8Array,
  vocabulary: ShapesVocabulary = DEFAULT_SHAPES_VOCABULARY,
): AttributeReading {
  const view = asRgbImage(image);
  const { table, labels, segmentation } = segmentImage(view, vocabulary);
  const background = table.names[segmentation.backgroundIndex]!;
  const reading: AttributeReading = {
    background,
    color: null,
    shape: null,
    size: null,
    backgroundConfidence: segmentation.backgroundAgreement,
    colorConfidence: 0,
    shapeFit: 0,
    shapeMargin: 0,
    area: segmentation.area,
  };
  const pixels = segmentation.componentPixels;
  if (pixels.length === 0) return reading;

  // Channel medians ignore the odd stray pixel that a mean would follow.
  const channel = (c: number) => medianOf(pixels.map((p) => view.data[p * 3 + c]!));
  const colorIndex = nearestPaletteIndex(table, channel(0), channel(1), channel(2), segmentation.backgroundIndex);
  reading.color = table.names[colorIndex]!;
  reading.colorConfidence = pixels.filter((p) => labels[p] === colorIndex).length / pixels.length;

  const choice = chooseTemplate(fitTemplates(segmentation, view.width, view.height, vocabulary));
  if (choice) {
    reading.shape = choice.best.shape;
    reading.size = choice.best.size;
    reading.shapeFit = choice.best.iou;
    reading.shapeMargin = choice.margin;
  }
  return reading;
}

export function checkPrompt(
  image: RgbImage | Uint8Array,
  expected: ShapeAttributes,
  vocabulary: ShapesVocabulary = DEFAULT_SHAPES_VOCABULARY,
): PromptCheck {
  const reading = readAttributes(image, vocabulary);
  const check = {
    background: reading.background === expected.background,
    color: reading.color === expected.color,
    shape: reading.shape === expected.shape,
    size: reading.size === expected.size,
  };
  return { ...check, all: check.background && check.color && check.shape && check.size };
}

/** Centroid and area of the shape mask (for diversity metrics); null when the image has no shape. */
export function shapeGeometry(
  image: RgbImage | Uint8Array,
  vocabulary: ShapesVocabulary = DEFAULT_SHAPES_VOCABULARY,
): ShapeGeometry | null {
  const view = asRgbImage(image);
  const { mask, area } = segmentImage(view, vocabulary).segmentation;
  if (area === 0) return null;
  let sumX = 0;
  let sumY = 0;
  for (let p = 0; p < mask.length; p++) {
    if (!mask[p]) continue;
    const x = p % view.width;
    sumX += x + 0.5;
    sumY += (p - x) / view.width + 0.5;
  }
  return { cx: sumX / area, cy: sumY / area, area };
}
