// A worker refuses to start in production without a real internal secret: the development default is
// public, and a worker that accepted it would run unbilled jobs for anyone who can reach its port. Each
// case spawns gpu-worker/src/main.ts (the config check runs before any model loads, so they are quick).
import { DEV_INTERNAL_SECRET } from "@guidegate/shared";
import { describe, expect, it } from "vitest";
import { DEFAULT_MODEL, freePort, spawnTs } from "@guidegate/stack";
import { loadWorkerConfig } from "../../gpu-worker/src/config.ts";

/** Spawns a worker and waits for it to exit; one that gets as far as ready is killed and reports code null. */
async function startWorker(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const port = await freePort();
  const { proc, output } = spawnTs(
    "gpu-worker/src/main.ts",
    { GG_WORKER_PORT: String(port), GG_MODEL_DIRS: DEFAULT_MODEL, GG_INTERNAL_SECRET: "", ...env },
    "worker",
    true,
  );
  const code = await new Promise<number | null>((resolve) => {
    const served = setInterval(() => {
      if (!output.join("").includes('"event":"ready"')) return;
      proc.kill("SIGKILL");
      resolve(null);
    }, 100);
    proc.once("exit", (c) => {
      clearInterval(served);
      resolve(c);
    });
  });
  return { code, output: output.join("") };
}

describe("worker start-up without a real internal secret", () => {
  it("NODE_ENV=production and no GG_INTERNAL_SECRET: exits non-zero and says what to set", async () => {
    const r = await startWorker({ NODE_ENV: "production" });
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull(); // exited by itself, never served
    expect(r.output).toMatch(/GG_INTERNAL_SECRET is required/);
    expect(r.output).not.toContain('"event":"ready"');
  });

  it("NODE_ENV=production with a published secret (the development default, the k8s example): refused", async () => {
    for (const secret of [DEV_INTERNAL_SECRET, "change-me-to-at-least-32-random-bytes"]) {
      const r = await startWorker({ NODE_ENV: "production", GG_INTERNAL_SECRET: secret });
      expect(r.code, secret).not.toBe(0);
      expect(r.output, secret).toMatch(/GG_INTERNAL_SECRET .*published/);
    }
  });

  it("the config loader: a real secret passes in production; development falls back to the public default", () => {
    const real = "Zx8f3Qp1rT7uV0wY4aB6cD9eF2gH5jK8";
    expect(loadWorkerConfig({ NODE_ENV: "production", GG_INTERNAL_SECRET: real }).GG_INTERNAL_SECRET).toBe(real);
    expect(loadWorkerConfig({}).GG_INTERNAL_SECRET).toBe(DEV_INTERNAL_SECRET);
    expect(loadWorkerConfig({ GG_INTERNAL_SECRET: "" }).GG_INTERNAL_SECRET).toBe(DEV_INTERNAL_SECRET);
    expect(() => loadWorkerConfig({ GG_INTERNAL_SECRET: "short" })).toThrow(/GG_INTERNAL_SECRET/);
  });
});
