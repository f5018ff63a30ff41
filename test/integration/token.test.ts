// `npm run token`: help without a stack trace, only the configured tiers, and nothing but the token on
// stdout so `TOKEN=$(npm run -s token)` captures exactly it.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { ROOT } from "@guidegate/stack";

const run = promisify(execFile);
type Result = { code?: number; stdout: string; stderr: string };
const clean = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("GG_")));
const token = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, ["--import", "tsx", join(ROOT, "scripts", "token.ts"), ...args], {
    cwd: ROOT,
    env: { ...clean(), ...env },
  }).then(
    (r) => ({ code: 0, ...r }) as Result,
    (e) => e as Result,
  );
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

describe("npm run token", () => {
  it("--help: usage and exit 0, no stack trace", async () => {
    const r = await token(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("usage: npm run -s token");
    expect(r.stderr).toContain("--tier");
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toMatch(/ERR_PARSE_ARGS|\n\s+at /);
  });

  it("an unknown option: usage and exit 2, no stack trace", async () => {
    const r = await token(["--teir", "eco"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--teir");
    expect(r.stderr).not.toMatch(/ERR_PARSE_ARGS|\n\s+at /);
  });

  it("a tier the gateway does not know: refused, the valid tiers listed, nothing minted", async () => {
    const r = await token(["--tier", "platinum"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('"platinum"');
    expect(r.stderr).toContain("eco, standard, pro");
  });

  it("tiers come from GG_TIERS_JSON like the gateway's", async () => {
    const gold = {
      budget: { nfe_fraction_max: 1 },
      allowed: ["cfg"],
      max_steps: 50,
      max_n: 1,
      price_micro_usd_per_nfe: 60,
      monthly_quota_nfe: 1000,
    };
    const r = await token(["--tier", "gold", "--sub", "bob"], { GG_TIERS_JSON: JSON.stringify({ gold }) });
    expect(r.code).toBe(0);
    expect(decodeJwt(r.stdout.trim())).toMatchObject({ tier: "gold", sub: "bob" });
  });

  it("`npm run -s token` prints the token and nothing else on stdout", async () => {
    const r = (await run("npm", ["run", "-s", "token", "--", "--tier", "eco"], { cwd: ROOT, env: clean() })) as Result;
    expect(r.stdout.endsWith("\n")).toBe(true);
    expect(r.stdout.trimEnd()).toMatch(JWT);
    expect(decodeJwt(r.stdout.trim())).toMatchObject({ tier: "eco", sub: "alice" });
  });
});
