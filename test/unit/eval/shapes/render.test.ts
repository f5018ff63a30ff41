import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderScene } from "../../../../eval/src/shapes/render.ts";
import {
  DEFAULT_SHAPES_VOCABULARY,
  SHAPE_KINDS,
  SHAPE_SIZES,
  SHAPES_PALETTE,
  SHAPES_RESOLUTION,
  type ShapesVocabulary,
} from "../../../../eval/src/shapes/vocabulary.ts";

// Written by test/fixtures/generators/shapes_renders.py from infra/model/shapes.py.
interface RenderFixture {
  resolution: number;
  palette: Record<string, [number, number, number]>;
  shapes: string[];
  sizes: Record<string, number>;
  renders: {
    color: string;
    shape: string;
    background: string;
    size: string;
    cx: number;
    cy: number;
    rgb_base64: string;
  }[];
}

const fixture: RenderFixture = JSON.parse(
  readFileSync(new URL("../../../fixtures/shapes-renders.json", import.meta.url), "utf8"),
);

describe("shapes renderer", () => {
  it("has shapes.py's palette, shapes, sizes and resolution as defaults", () => {
    expect(SHAPES_PALETTE).toEqual(fixture.palette);
    expect(Object.keys(SHAPES_PALETTE)).toEqual(Object.keys(fixture.palette)); // order sets colour indices
    expect(SHAPE_KINDS).toEqual(fixture.shapes);
    expect(SHAPE_SIZES).toEqual(fixture.sizes);
    expect(SHAPES_RESOLUTION).toBe(fixture.resolution);
  });

  it.each(fixture.renders.map((r) => [`${r.size} ${r.color} ${r.shape} at (${r.cx}, ${r.cy})`, r] as const))(
    "matches shapes.py byte for byte: %s",
    (_name, render) => {
      const expected = Buffer.from(render.rgb_base64, "base64");
      const vocabulary: ShapesVocabulary = { palette: fixture.palette, shapes: fixture.shapes, sizes: fixture.sizes };
      const actual = renderScene(render, vocabulary);
      expect(actual.length).toBe(32 * 32 * 3);
      expect(Buffer.from(actual).equals(expected)).toBe(true);
      expect(Buffer.from(renderScene(render)).equals(expected)).toBe(true);
    },
  );

  it("takes palette and sizes from the vocabulary it is given", () => {
    const vocabulary: ShapesVocabulary = {
      ...DEFAULT_SHAPES_VOCABULARY,
      palette: { ink: [1, 2, 3], paper: [250, 251, 252] },
      sizes: { huge: 14 },
    };
    const pixels = renderScene(
      { color: "ink", background: "paper", shape: "square", size: "huge", cx: 16, cy: 16 },
      vocabulary,
    );
    expect([...pixels.subarray(0, 3)]).toEqual([250, 251, 252]);
    const centre = (16 * 32 + 16) * 3;
    expect([...pixels.subarray(centre, centre + 3)]).toEqual([1, 2, 3]);
  });

  it("rejects names the vocabulary does not know", () => {
    const scene = { color: "red", background: "blue", shape: "circle", size: "small", cx: 16, cy: 16 };
    expect(() => renderScene({ ...scene, color: "teal" })).toThrow(/teal/);
    expect(() => renderScene({ ...scene, shape: "star" })).toThrow(/star/);
    expect(() => renderScene({ ...scene, size: "medium" })).toThrow(/medium/);
  });
});
