// TypeScript port of shapes.py's `render`: one flat-coloured shape on a flat background, no anti-aliasing.
import { shapeTest } from "./geometry.ts";
import {
  DEFAULT_SHAPES_VOCABULARY,
  radiusOf,
  resolutionOf,
  rgbOf,
  type ShapeScene,
  type ShapesVocabulary,
} from "./vocabulary.ts";

/** RGB bytes, row-major HWC, `resolution`² pixels (32x32x3 for the default vocabulary). */
export function renderScene(scene: ShapeScene, vocabulary: ShapesVocabulary = DEFAULT_SHAPES_VOCABULARY): Uint8Array {
  const res = resolutionOf(vocabulary);
  const inside = shapeTest(scene.shape);
  const radius = radiusOf(vocabulary, scene.size);
  const [fr, fg, fb] = rgbOf(vocabulary, scene.color);
  const [br, bg, bb] = rgbOf(vocabulary, scene.background);
  const pixels = new Uint8Array(res * res * 3);
  for (let y = 0; y < res; y++) {
    for (let x = 0; x < res; x++) {
      // Pixel centres at integer + 0.5, as np.mgrid + 0.5 in shapes.py.
      const hit = inside(x + 0.5 - scene.cx, y + 0.5 - scene.cy, radius);
      const o = (y * res + x) * 3;
      pixels[o] = hit ? fr : br;
      pixels[o + 1] = hit ? fg : bg;
      pixels[o + 2] = hit ? fb : bb;
    }
  }
  return pixels;
}
