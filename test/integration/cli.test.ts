// `npm run gen` against the real stack: a single run, --compare on one seed (side-by-side PNG
// labelled with NFEs) and --json; a refused policy exits 1 with a JSON error.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, type Stack, startStack } from "../../scripts/lib/stack.ts";

const run = promisify(execFile);
let dir: string;
let stack: Stack;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gg-cli-"));
  stack = await startStack({ dataDir: join(dir, "stack"), quiet: true });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const gen = (...args: string[]) =>
  run(process.execPath, ["--import", "tsx", join(ROOT, "scripts", "gen.ts"), "a large red circle on a blue background", "--url", stack.edgeUrl, ...args], {
    cwd: ROOT,
    env: { ...process.env, GG_TOKEN: "" },
  });

describe("npm run gen", () => {
  it("writes one image and says what it cost", async () => {
    const out = join(dir, "one.png");
    const { stdout } = await gen("--steps", "8", "--seed", "7", "--policy", "cfg", "--out", out);
    expect(stdout).toMatch(/cfg\s+16 NFE, cost \$0\.000800, seed 7/);
    expect((await sharp(readFileSync(out)).metadata()).width).toBe(32);
  });

  it("--compare runs both policies on one seed and writes a labelled side-by-side PNG; --json sums it up", async () => {
    const out = join(dir, "cmp.png");
    const { stdout } = await gen("--steps", "8", "--compare", "cfg,none", "--json", "--out", out);
    const s = JSON.parse(stdout) as { ok: boolean; seed: number; runs: { policy: string; seed: number; nfe: number; cost_micro_usd: number; status: string }[] };
    expect(s.ok).toBe(true);
    expect(s.runs.map((r) => [r.policy, r.status, r.nfe, r.cost_micro_usd])).toEqual([
      ["cfg", "completed", 16, 800],
      ["none", "completed", 8, 400],
    ]);
    expect(s.runs.every((r) => r.seed === s.seed)).toBe(true);
    const meta = await sharp(readFileSync(out)).metadata();
    expect(meta.width).toBe(16 + 2 * (256 + 16));
  });

  it("a policy outside the tier: exit 1 and a JSON error", async () => {
    const err = (await gen("--tier", "eco", "--policy", "cfg", "--json").catch((e) => e)) as { code: number; stdout: string };
    expect(err.code).toBe(1);
    expect(JSON.parse(err.stdout)).toMatchObject({ ok: false, error: expect.stringContaining("403") });
  });
});
