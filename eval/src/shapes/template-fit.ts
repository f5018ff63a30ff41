// Shape kind and size by fitting every (shape, size) template to the mask and keeping the best IoU.
import { SHAPE_EXTENT_FACTOR, shapeTest, type ShapeTest } from "./geometry.ts";
import type { Segmentation } from "./segment.ts";
import { resolutionOf, type ShapesVocabulary } from "./vocabulary.ts";

export interface TemplateFit {
  shape: string;
  size: string;
  /** Best intersection-over-union of the mask with this template. */
  iou: number;
  /** Fitted centre in training-resolution pixel units. */
  cx: number;
  cy: number;
}

export interface TemplateChoice {
  best: TemplateFit;
  /** Best IoU minus the best IoU of any other (shape, size). */
  margin: number;
}

interface FitTarget {
  mask: Uint8Array;
  width: number;
  height: number;
  area: number;
  bbox: Segmentation["bbox"];
  /** Image pixels per training-resolution pixel. */
  scale: number;
}

function iouAt(target: FitTarget, inside: ShapeTest, radius: number, cx: number, cy: number): number {
  const { mask, width, height, scale, bbox } = target;
  const reach = radius * SHAPE_EXTENT_FACTOR;
  // Both masks are empty outside the union of their boxes, so counting inside it is exact.
  const x0 = Math.max(0, Math.min(bbox.x0, Math.floor((cx - reach) * scale) - 1));
  const x1 = Math.min(width - 1, Math.max(bbox.x1, Math.ceil((cx + reach) * scale) + 1));
  const y0 = Math.max(0, Math.min(bbox.y0, Math.floor((cy - reach) * scale) - 1));
  const y1 = Math.min(height - 1, Math.max(bbox.y1, Math.ceil((cy + reach) * scale) + 1));
  let intersection = 0;
  let templateArea = 0;
  for (let y = y0; y <= y1; y++) {
    const dy = (y + 0.5) / scale - cy;
    for (let x = x0; x <= x1; x++) {
      if (!inside((x + 0.5) / scale - cx, dy, radius)) continue;
      templateArea++;
      intersection += mask[y * width + x]!;
    }
  }
  const union = target.area + templateArea - intersection;
  return union === 0 ? 0 : intersection / union;
}

/** Grid search around `start`; returns the best centre and IoU. */
function searchCentre(
  target: FitTarget,
  inside: ShapeTest,
  radius: number,
  start: { cx: number; cy: number },
  span: number,
  step: number,
) {
  let best = { cx: start.cx, cy: start.cy, iou: -1 };
  for (let oy = -span; oy <= span + 1e-9; oy += step) {
    for (let ox = -span; ox <= span + 1e-9; ox += step) {
      const cx = start.cx + ox;
      const cy = start.cy + oy;
      const iou = iouAt(target, inside, radius, cx, cy);
      if (iou > best.iou) best = { cx, cy, iou };
    }
  }
  return best;
}

/** Templates this far below the best coarse IoU cannot win the fine search; skipping them halves the cost. */
const REFINE_WINDOW = 0.2;

function coarseFit(target: FitTarget, shape: string, size: string, radius: number): TemplateFit {
  // Every shape spans ±r on both axes around its centre, so the box centre is a good start.
  const start = {
    cx: (target.bbox.x0 + target.bbox.x1 + 1) / 2 / target.scale,
    cy: (target.bbox.y0 + target.bbox.y1 + 1) / 2 / target.scale,
  };
  const coarse = searchCentre(target, shapeTest(shape), radius, start, 1.5, 0.5);
  return { shape, size, iou: coarse.iou, cx: coarse.cx, cy: coarse.cy };
}

function refineFit(target: FitTarget, fit: TemplateFit, radius: number): TemplateFit {
  const fine = searchCentre(target, shapeTest(fit.shape), radius, fit, 0.375, 0.125);
  return fine.iou > fit.iou ? { ...fit, iou: fine.iou, cx: fine.cx, cy: fine.cy } : fit;
}

export function fitTemplates(segmentation: Segmentation, width: number, height: number, vocabulary: ShapesVocabulary) {
  const target: FitTarget = {
    mask: segmentation.mask,
    width,
    height,
    area: segmentation.area,
    bbox: segmentation.bbox,
    scale: Math.min(width, height) / resolutionOf(vocabulary),
  };
  const coarse: TemplateFit[] = [];
  for (const shape of vocabulary.shapes) {
    for (const [size, radius] of Object.entries(vocabulary.sizes)) coarse.push(coarseFit(target, shape, size, radius));
  }
  const bestCoarse = Math.max(...coarse.map((fit) => fit.iou));
  return coarse.map((fit) =>
    fit.iou >= bestCoarse - REFINE_WINDOW ? refineFit(target, fit, vocabulary.sizes[fit.size]!) : fit,
  );
}

export function chooseTemplate(fits: readonly TemplateFit[]): TemplateChoice | null {
  const ranked = [...fits].sort((a, b) => b.iou - a.iou);
  const best = ranked[0];
  if (!best) return null;
  return { best, margin: best.iou - (ranked[1]?.iou ?? 0) };
}
