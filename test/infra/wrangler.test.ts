// wrangler.toml: `wrangler deploy --dry-run` bundles the Workers entry (default and production
// environments) without the network, the bundle imports no node: modules, the Durable Object class
// the migration names is exported by the entry, and the secrets the entry needs are documented.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "@guidegate/stack";

const run = promisify(execFile);
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
const entry = readFileSync(join(ROOT, "edge", "src", "worker.ts"), "utf8");
const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function dryRun(...extra: string[]): Promise<{ out: string; bundle: string }> {
  const outdir = mkdtempSync(join(tmpdir(), "gg-wrangler-"));
  dirs.push(outdir);
  const { stdout, stderr } = await run(WRANGLER, ["deploy", "--dry-run", "--outdir", outdir, ...extra], {
    cwd: ROOT,
    timeout: 120_000,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" },
  });
  return { out: stdout + stderr, bundle: readFileSync(join(outdir, "worker.js"), "utf8") };
}

describe("wrangler deploy --dry-run", () => {
  for (const env of [null, "production"]) {
    it(`bundles the Workers entry${env ? ` for --env ${env}` : ""}`, { timeout: 150_000 }, async () => {
      const { out, bundle } = await dryRun(...(env ? ["--env", env] : []));
      expect(out).toContain("--dry-run: exiting now.");
      expect(out).toMatch(/env\.TENANT_LEDGER \(TenantLedger\)\s+Durable Object/);
      expect(out).toContain("env.GG_WORKER_URLS");
      expect(bundle).not.toMatch(/from\s*["']node:|require\(["']node:/);
      expect(bundle).toContain("guidegate playground");
    });
  }

  it("migrates TenantLedger as a SQLite-backed Durable Object class the entry exports", () => {
    expect(toml).toMatch(/\[\[migrations\]\]\s*\ntag = "v1"\s*\nnew_sqlite_classes = \["TenantLedger"\]/);
    expect(entry).toMatch(/export \{ TenantLedger \}/);
  });

  it("dates compatibility late enough for Durable Object RPC (2024-04-03), as the test harness does", () => {
    const harness = readFileSync(join(ROOT, "test", "support", "tenant-ledger-workerd", "wrangler.toml"), "utf8");
    const date = (text: string) => /^compatibility_date = "(\d{4}-\d{2}-\d{2})"/m.exec(text)?.[1] ?? "";
    expect(date(toml) >= "2024-04-03", date(toml)).toBe(true);
    expect(date(harness)).toBe(date(toml));
  });

  it("documents the secrets the entry requires and the production JWKS settings", () => {
    expect(entry).toContain("GG_INTERNAL_SECRET");
    expect(toml).toContain("wrangler secret put GG_INTERNAL_SECRET --env production");
    const deploy = readFileSync(join(ROOT, "docs", "deploy.md"), "utf8");
    for (const s of [
      "wrangler secret put GG_INTERNAL_SECRET",
      "GG_JWKS_URL",
      "GG_ISSUER",
      "GG_AUDIENCE",
      "GG_WORKER_URLS",
      "wrangler deploy --env production",
    ])
      expect(deploy, s).toContain(s);
    expect(toml).not.toMatch(/^\s*GG_JWT_SECRET\s*=/m); // a development secret never sits in the config
  });
});
