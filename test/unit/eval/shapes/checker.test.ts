import { describe, expect, it } from "vitest";
import {
  checkPrompt,
  paletteDistance,
  parsePrompt,
  promptOf,
  readAttributes,
  shapeGeometry,
} from "../../../../eval/src/shapes/checker.ts";
import { renderScene } from "../../../../eval/src/shapes/render.ts";
import { sampleScene, seededRandom } from "../../../../eval/src/shapes/scene-sampler.ts";
import { DEFAULT_SHAPES_VOCABULARY, type ShapeScene } from "../../../../eval/src/shapes/vocabulary.ts";
import { addNoise } from "./noise.ts";

const V = DEFAULT_SHAPES_VOCABULARY;

function allCorrect(scene: ShapeScene, pixels: Uint8Array): boolean {
  return checkPrompt(pixels, scene).all;
}

/** Nearest-neighbour upscale of a square HWC image by an integer factor. */
function upscale(pixels: Uint8Array, side: number, factor: number): Uint8Array {
  const out = new Uint8Array(side * factor * side * factor * 3);
  for (let y = 0; y < side * factor; y++) {
    for (let x = 0; x < side * factor; x++) {
      const src = (Math.floor(y / factor) * side + Math.floor(x / factor)) * 3;
      out.set(pixels.subarray(src, src + 3), (y * side * factor + x) * 3);
    }
  }
  return out;
}

describe("shapes attribute checker", () => {
  it("reads every attribute of 2,000 clean random renders correctly", () => {
    const random = seededRandom(20261128);
    const misses: ShapeScene[] = [];
    for (let i = 0; i < 2000; i++) {
      const scene = sampleScene(random, V);
      const pixels = renderScene(scene);
      if (!allCorrect(scene, pixels)) misses.push(scene);
      expect(paletteDistance(pixels, V.palette)).toBe(0);
    }
    expect(misses).toEqual([]);
  });

  it("stays >= 98% correct under Gaussian noise (sigma 12/255) and 4 flipped pixels", () => {
    const random = seededRandom(7);
    let correct = 0;
    const total = 2000;
    for (let i = 0; i < total; i++) {
      const scene = sampleScene(random, V);
      if (allCorrect(scene, addNoise(renderScene(scene), random, 12, 4))) correct++;
    }
    // Measured 100% on this seed; 99.0% even at sigma 40 with 40 flipped pixels.
    expect(correct / total).toBeGreaterThanOrEqual(0.98);
  });

  it("reports confidences: full agreement on a clean render", () => {
    const scene = { color: "red", shape: "cross", background: "white", size: "large", cx: 15.3, cy: 17.8 };
    const reading = readAttributes(renderScene(scene));
    expect(reading).toMatchObject({ background: "white", color: "red", shape: "cross", size: "large" });
    expect(reading.backgroundConfidence).toBe(1);
    expect(reading.colorConfidence).toBe(1);
    expect(reading.shapeFit).toBeGreaterThan(0.95);
    expect(reading.shapeMargin).toBeGreaterThan(0.05);
  });

  it("reads images larger than the training resolution", () => {
    const random = seededRandom(3);
    for (let i = 0; i < 50; i++) {
      const scene = sampleScene(random, V);
      const big = upscale(renderScene(scene), 32, 2);
      expect(checkPrompt({ data: big, width: 64, height: 64 }, scene).all).toBe(true);
    }
  });

  it("flags only the attributes that differ from the expectation", () => {
    const scene = { color: "blue", shape: "triangle", background: "yellow", size: "small", cx: 10.2, cy: 20.7 };
    const pixels = renderScene(scene);
    expect(checkPrompt(pixels, scene)).toEqual({ background: true, color: true, shape: true, size: true, all: true });
    expect(checkPrompt(pixels, { ...scene, shape: "circle", size: "large" })).toEqual({
      background: true,
      color: true,
      shape: false,
      size: false,
      all: false,
    });
    expect(checkPrompt(pixels, { ...scene, color: "purple" }).color).toBe(false);
    expect(checkPrompt(pixels, { ...scene, background: "white" }).background).toBe(false);
  });

  it("finds no shape in a flat image", () => {
    const flat = new Uint8Array(32 * 32 * 3).fill(20);
    const reading = readAttributes(flat);
    expect(reading).toMatchObject({ background: "black", color: null, shape: null, size: null, area: 0 });
    expect(checkPrompt(flat, { background: "black", color: "red", shape: "circle", size: "small" }).all).toBe(false);
    expect(shapeGeometry(flat)).toBeNull();
  });

  it("measures palette distance as the mean RGB distance to the nearest palette colour", () => {
    const pureBlack = new Uint8Array(4 * 4 * 3); // (0,0,0) is sqrt(3*20^2) from the palette's black
    expect(paletteDistance(pureBlack, V.palette)).toBeCloseTo(Math.sqrt(1200), 10);
    const half = renderScene({ color: "red", shape: "square", background: "blue", size: "large", cx: 16, cy: 16 });
    half.fill(0, 0, 32 * 16 * 3);
    expect(paletteDistance(half, V.palette)).toBeCloseTo(Math.sqrt(1200) / 2, 10);
  });

  it("gives the shape's centroid and area", () => {
    const scene = { color: "green", shape: "square", background: "black", size: "large", cx: 14, cy: 18 };
    const pixels = renderScene(scene);
    let shapePixels = 0;
    for (let p = 0; p < 32 * 32; p++) if (pixels[p * 3] === 40 && pixels[p * 3 + 1] === 170) shapePixels++;
    const geometry = shapeGeometry(pixels);
    expect(geometry).not.toBeNull();
    expect(geometry!.area).toBe(shapePixels);
    expect(geometry!.cx).toBeCloseTo(14, 6);
    expect(geometry!.cy).toBeCloseTo(18, 6);
  });

  it("parses dataset prompts and rejects others", () => {
    const expected = { background: "blue", color: "red", shape: "circle", size: "large" };
    expect(parsePrompt("a large red circle on a blue background", V)).toEqual(expected);
    expect(parsePrompt("  A Large RED circle on an blue background. ", V)).toEqual(expected);
    expect(parsePrompt(promptOf(expected), V)).toEqual(expected);
    expect(parsePrompt("a large red circle", V)).toBeNull();
    expect(parsePrompt("a large teal circle on a blue background", V)).toBeNull();
    expect(parsePrompt("a large red star on a blue background", V)).toBeNull();
    expect(parsePrompt("a huge red circle on a blue background", V)).toBeNull();
    expect(parsePrompt("a large red circle under a blue background", V)).toBeNull();
    expect(parsePrompt("", V)).toBeNull();
  });
});
