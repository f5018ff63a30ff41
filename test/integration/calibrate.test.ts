// `npm run calibrate` end to end on the tiny-sd fixture (no evaluator: fidelity alone), on a copy
// so the fixture stays clean: it writes a frontier.json the shared schema and the worker accept,
// health's ModelInfo carries its points, and the LinearAG fit lands where the worker reads it.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFrontier, readGuidanceDefaults } from "@guidegate/gpu-worker";
import { FrontierFileSchema, ModelInfoSchema } from "@guidegate/shared";

const ROOT = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);
let dir: string;
let stdout: string;

beforeAll(async () => {
  dir = join(mkdtempSync(join(tmpdir(), "gg-calibrate-")), "tiny-sd");
  cpSync(join(ROOT, "test/fixtures/tiny-sd"), dir, { recursive: true });
  const args = [
    "--model",
    dir,
    "--schedulers",
    "ddim",
    "--step-counts",
    "4",
    "--frontier-prompts",
    "2",
    "--frontier-scale",
    "3",
    "--schedules",
    "every,first_k,linear_ag",
  ];
  ({ stdout } = await run(process.execPath, ["--import", "tsx", "scripts/calibrate.ts", ...args], { cwd: ROOT }));
});
afterAll(() => rmSync(resolve(dir, ".."), { recursive: true, force: true }));

describe("calibrate on tiny-sd", () => {
  it("writes a frontier of the candidates, the full-NFE reference at fidelity 1 on it", () => {
    const file = FrontierFileSchema.parse(JSON.parse(readFileSync(join(dir, "frontier.json"), "utf8")));
    const entry = file.entries["ddim:4"]!;
    // every, first_k k ∈ {0, 1 (×2), 2 (×2), 3 (×2)} (Step AG's fractions of 4 steps), linear_ag.
    expect(entry.candidates).toHaveLength(9);
    expect(entry.correlation).toBeUndefined(); // no evaluator on this model
    const every = entry.points.find((p) => p.schedule.name === "every")!;
    expect(every).toMatchObject({ nfe_per_image: 8, ssim: 1, rule: { name: "cfg", scale: 3 } });
    expect(entry.points[0]!.nfe_per_image).toBe(4); // k = 0: unguided cost, still undominated
    for (const p of entry.points) expect(p.adherence).toBeUndefined();
    expect(stdout).toContain("ddim:4:");
  });

  it("health carries the frontier points only", () => {
    const frontier = readFrontier(dir)!;
    expect(frontier).toHaveLength(1);
    expect(Object.keys(frontier[0]!).sort()).toEqual(["points", "scheduler", "steps"]);
    const info = ModelInfoSchema.parse({ id: "tiny-sd", sizes: ["64x64"], policies: ["cfg"], frontier });
    expect(info.frontier?.[0]?.points.length).toBeGreaterThan(0);
  });

  it("stores LinearAG's fit for the scheduler × steps it calibrated", () => {
    const fit = readGuidanceDefaults(dir).linear_ag?.["ddim:4"];
    expect(fit?.scale).toBe(3);
    expect(fit?.steps).toHaveLength(4);
  });
});
