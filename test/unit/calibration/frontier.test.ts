// calibrate's frontier arithmetic: Pareto selection (fewer NFEs, more fidelity, more adherence where
// measured), Spearman's ρ with tied ranks, the cheapest-within-floor choice, and SSIM / PSNR bounds.
import type { FrontierPoint } from "@guidegate/shared";
import { describe, expect, it } from "vitest";
import { PSNR_CAP_DB, psnrDb, ssim } from "../../../scripts/lib/fidelity.ts";
import {
  cheapestWithinFloor,
  fidelityCorrelation,
  frontierOf,
  mergeEntry,
} from "../../../scripts/lib/frontier-calibration.ts";
import { paretoFrontier, ranks, spearman } from "../../../scripts/lib/pareto.ts";

const point = (nfe: number, fidelity: number, adherence?: number, k = 0): FrontierPoint => ({
  rule: { name: "cfg", rescale: 0 },
  schedule: { name: "first_k", k, after: "conditional" },
  nfe_per_image: nfe,
  ssim: fidelity,
  psnr_db: 20 + 10 * fidelity,
  ...(adherence === undefined ? {} : { adherence }),
});

describe("paretoFrontier", () => {
  const cost = (p: { nfe: number; q: number }) => -p.nfe;
  const quality = (p: { nfe: number; q: number }) => p.q;
  it("keeps exactly the undominated points", () => {
    const pts = [
      { nfe: 40, q: 1 },
      { nfe: 30, q: 0.9 },
      { nfe: 30, q: 0.8 }, // dominated by the one above (same cost, lower quality)
      { nfe: 35, q: 0.85 }, // dominated: costs more than 30/0.9 for less
      { nfe: 20, q: 0.5 },
    ];
    expect(paretoFrontier(pts, [cost, quality])).toEqual([pts[0], pts[1], pts[4]]);
  });
  it("keeps the first of exact ties and ignores unmeasured objectives", () => {
    const pts = [
      { nfe: 10, q: 0.5, a: undefined },
      { nfe: 10, q: 0.5, a: undefined },
    ];
    expect(paretoFrontier(pts, [cost, quality, (p) => p.a])).toEqual([pts[0]]);
  });
  it("a third objective keeps a point that loses on fidelity but wins on adherence", () => {
    const pts = [point(20, 0.99, 0.8), point(20, 0.97, 0.9), point(20, 0.96, 0.85)];
    expect(frontierOf(pts)).toEqual([pts[0], pts[1]]);
  });
  it("orders the frontier by NFE", () => {
    expect(frontierOf([point(40, 1), point(10, 0.5), point(20, 0.9)]).map((p) => p.nfe_per_image)).toEqual([
      10, 20, 40,
    ]);
  });
});

describe("spearman", () => {
  it("is 1 for any increasing relation and -1 for a decreasing one", () => {
    expect(spearman([1, 2, 3, 4], [1, 4, 9, 16])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [8, 4, 2, 1])).toBeCloseTo(-1, 12);
  });
  it("averages tied ranks", () => {
    expect(ranks([10, 20, 20, 30])).toEqual([1, 2.5, 2.5, 4]);
    // Hand-computed: ranks x = [1, 2.5, 2.5, 4], y = [1, 2, 3, 4]: Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5.
    expect(spearman([10, 20, 20, 30], [1, 2, 3, 4])).toBeCloseTo(4.5 / Math.sqrt(4.5 * 5), 12);
  });
  it("is 0 when one side is constant", () => {
    expect(spearman([1, 2, 3], [5, 5, 5])).toBe(0);
  });
  it("fidelityCorrelation needs adherence on every candidate", () => {
    expect(fidelityCorrelation([point(10, 0.5, 0.2), point(20, 0.9)])).toBeUndefined();
    expect(fidelityCorrelation([point(10, 0.5, 0.2), point(20, 0.9, 0.6), point(30, 1, 0.7)])).toEqual({
      ssim: 1,
      psnr: 1,
      candidates: 3,
    });
  });
});

describe("cheapestWithinFloor", () => {
  it("picks per schedule the cheapest point at or above the floor, the closer one on equal NFE", () => {
    const pts = [
      point(40, 1, undefined, 20),
      point(22, 0.96, undefined, 2),
      point(22, 0.97, undefined, 3),
      point(21, 0.9, undefined, 1),
    ];
    expect(cheapestWithinFloor(pts, 0.95)).toEqual({ first_k: pts[2] });
  });
});

describe("fidelity", () => {
  const img = Uint8Array.from({ length: 16 * 16 * 3 }, (_, k) => (k * 37) % 256);
  it("SSIM is 1 and PSNR the cap for identical images", () => {
    expect(ssim(img, img, 16, 16)).toBeCloseTo(1, 9);
    expect(psnrDb(img, img)).toBe(PSNR_CAP_DB);
  });
  it("PSNR of a uniform error of 1 is 20·log10(255)", () => {
    expect(
      psnrDb(
        img.map((v) => (v === 255 ? 254 : v + 1)),
        img,
      ),
    ).toBeCloseTo(20 * Math.log10(255), 9);
  });
  it("SSIM falls as the image is corrupted", () => {
    const noisy = img.map((v, k) => (k % 2 ? 255 - v : v));
    expect(ssim(noisy, img, 16, 16)).toBeLessThan(0.9);
  });
});

describe("mergeEntry", () => {
  const entry = (candidates: FrontierPoint[], prompts: number) => ({
    scheduler: "ddim" as const,
    steps: 20,
    prompts,
    points: frontierOf(candidates),
    cheapest: cheapestWithinFloor(candidates, 0.95),
    candidates,
  });
  const cfgpp = (nfe: number, adherence: number): FrontierPoint => ({
    rule: { name: "cfgpp" },
    schedule: { name: "every" },
    nfe_per_image: nfe,
    ssim: 1,
    psnr_db: 100,
    adherence,
    prompts: 64,
  });

  it("keeps the other rules' candidates, replaces the same rule and schedule, and takes the frontier over all", () => {
    const old = entry([point(24, 0.97, 0.9), point(40, 1, 0.9, 20), cfgpp(40, 0.5)], 32);
    const merged = mergeEntry(old, entry([cfgpp(40, 0.97)], 64), 0.95);
    expect(merged.candidates).toHaveLength(3);
    expect(merged.candidates.filter((p) => p.rule.name === "cfgpp").map((p) => p.adherence)).toEqual([0.97]);
    // The cfg point at 40 NFE is dominated by CFG++ at the same cost; the cheap cfg point stays.
    expect(merged.points.map((p) => `${p.rule.name}@${p.nfe_per_image}`)).toEqual(["cfg@24", "cfgpp@40"]);
  });

  it("stored points without a prompt count get their entry's", () => {
    const merged = mergeEntry(entry([point(24, 0.97, 0.9)], 32), entry([cfgpp(40, 0.97)], 64), 0.95);
    expect(merged.candidates.map((p) => p.prompts)).toEqual([32, 64]);
  });
});
