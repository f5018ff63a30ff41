import { describe, expect, it } from "vitest";
import { PartialPicker, previewEveryFor } from "../../../edge/src/relay/openai.ts";

const preview = (step: number, index = 0) => ({
  event: "preview" as const,
  step,
  index,
  b64_png: "x",
  width: 32,
  height: 32,
});

describe("PartialPicker", () => {
  it("picks partial_images previews spread evenly, online", () => {
    const p = new PartialPicker(2, 30); // targets: steps 10 and 20
    const picked = [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28].map((s) => p.pick(preview(s)));
    expect(picked.filter((x) => x !== null)).toEqual([0, 1]);
    expect(picked.indexOf(0)).toBe(4); // step 10
    expect(picked.indexOf(1)).toBe(9); // step 20
  });

  it("never sends more than asked, per image, and nothing for 0", () => {
    const p = new PartialPicker(1, 10);
    expect([p.pick(preview(5)), p.pick(preview(6)), p.pick(preview(5, 1))]).toEqual([0, null, 0]);
    expect(new PartialPicker(0, 10).pick(preview(9))).toBeNull();
  });

  it("asks the worker for enough previews", () => {
    expect(previewEveryFor(0, 20)).toBeUndefined();
    expect(previewEveryFor(3, 20)).toBe(5);
    expect(previewEveryFor(3, 2)).toBe(1);
  });
});
