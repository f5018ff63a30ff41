import { describe, expect, it } from "vitest";
import { sdxlTimeIds } from "../../../gpu-worker/src/models/unet-feeds.ts";

describe("sdxlTimeIds", () => {
  it("is [orig_h, orig_w, crop_top, crop_left, target_h, target_w] in pixels, height first", () => {
    expect([...sdxlTimeIds(1024, 768)]).toEqual([1024, 768, 0, 0, 1024, 768]);
    expect(sdxlTimeIds(64, 64)).toBeInstanceOf(Float32Array);
  });
});
