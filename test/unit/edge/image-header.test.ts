// The edge reads image headers in plain TypeScript (Workers has no sharp): format, dimensions and
// whether a mask can be transparent, for what sharp writes; anything else is not an image.
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { readImageHeader } from "../../../edge/src/edits/header.ts";

// Half transparent where there is alpha: libwebp drops an alpha channel that is all opaque.
const make = (channels: 3 | 4) =>
  sharp({
    create: {
      width: 37,
      height: 21,
      channels,
      background: { r: 128, g: 128, b: 128, alpha: channels === 4 ? 0.5 : 1 },
    },
  });

describe("readImageHeader", () => {
  it("reads PNG, JPEG and WebP dimensions and alpha", async () => {
    const cases: Array<[Buffer, string, boolean]> = [
      [await make(3).png().toBuffer(), "png", false],
      [await make(4).png().toBuffer(), "png", true],
      [await make(3).jpeg().toBuffer(), "jpeg", false],
      [await make(3).webp().toBuffer(), "webp", false],
      [await make(4).webp({ lossless: true }).toBuffer(), "webp", true],
      [
        await make(3)
          .withMetadata({ exif: { IFD0: { Copyright: "x".repeat(2000) } } })
          .jpeg()
          .toBuffer(),
        "jpeg",
        false,
      ],
    ];
    for (const [bytes, format, alpha] of cases)
      expect(readImageHeader(new Uint8Array(bytes)), format).toEqual({ format, width: 37, height: 21, alpha });
  });

  it("is null for other bytes and cut-short headers", async () => {
    const png = await make(3).png().toBuffer();
    for (const b of [Buffer.from("hello world, not an image"), png.subarray(0, 20), Buffer.from("GIF89a..........")])
      expect(readImageHeader(new Uint8Array(b))).toBeNull();
  });
});
