// The shapes dataset's vocabulary (palette, shape kinds, sizes), mirrored from infra/model/shapes.py.

export type Rgb = readonly [number, number, number];

/** What the renderer and checker need from a model manifest; extra manifest fields are ignored. */
export interface ShapesVocabulary {
  palette: Readonly<Record<string, Rgb>>;
  shapes: readonly string[];
  /** Half-extent in pixels at `resolution`. */
  sizes: Readonly<Record<string, number>>;
  /** Side of the square training images; defaults to 32. */
  resolution?: number;
}

export interface ShapeAttributes {
  background: string;
  color: string;
  shape: string;
  size: string;
}

/** One rendered scene: attributes plus the shape centre in pixel units of the training resolution. */
export interface ShapeScene extends ShapeAttributes {
  cx: number;
  cy: number;
}

export const SHAPES_RESOLUTION = 32;

export const SHAPES_PALETTE: Readonly<Record<string, Rgb>> = {
  red: [220, 40, 40],
  green: [40, 170, 60],
  blue: [40, 70, 220],
  yellow: [240, 220, 40],
  purple: [140, 50, 190],
  orange: [245, 140, 20],
  white: [240, 240, 240],
  black: [20, 20, 20],
};

export const SHAPE_KINDS: readonly string[] = ["circle", "square", "triangle", "cross"];

export const SHAPE_SIZES: Readonly<Record<string, number>> = { small: 5.0, large: 10.0 };

export const DEFAULT_SHAPES_VOCABULARY: ShapesVocabulary = {
  palette: SHAPES_PALETTE,
  shapes: SHAPE_KINDS,
  sizes: SHAPE_SIZES,
  resolution: SHAPES_RESOLUTION,
};

export function resolutionOf(vocabulary: ShapesVocabulary): number {
  return vocabulary.resolution ?? SHAPES_RESOLUTION;
}

export function rgbOf(vocabulary: ShapesVocabulary, name: string): Rgb {
  const rgb = vocabulary.palette[name];
  if (!rgb) throw new Error(`unknown palette colour "${name}"`);
  return rgb;
}

export function radiusOf(vocabulary: ShapesVocabulary, size: string): number {
  const radius = vocabulary.sizes[size];
  if (radius === undefined) throw new Error(`unknown shape size "${size}"`);
  return radius;
}

/** The checker/renderer vocabulary of a guidegate.json manifest; fields it lacks fall back to shapes.py's. */
export function vocabularyFromManifest(manifest: Partial<ShapesVocabulary>): ShapesVocabulary {
  return {
    palette: manifest.palette ?? SHAPES_PALETTE,
    shapes: manifest.shapes ?? SHAPE_KINDS,
    sizes: manifest.sizes ?? SHAPE_SIZES,
    resolution: manifest.resolution ?? SHAPES_RESOLUTION,
  };
}
