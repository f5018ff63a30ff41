// The edge app under Deno through app.request (test/deno/smoke.ts), run by the npm `deno` binary.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";
import { ROOT } from "@guidegate/stack";

it("passes the Deno smoke script", () => {
  const res = spawnSync(
    join(ROOT, "node_modules", ".bin", "deno"),
    ["run", "-A", join(ROOT, "test", "deno", "smoke.ts")],
    { cwd: ROOT, encoding: "utf8", timeout: 120_000 },
  );
  expect(res.stderr).not.toMatch(/error/i);
  expect(res.status).toBe(0);
  expect(res.stdout).toMatch(/^ok - GET \/healthz is 200$/m);
  expect(res.stdout).not.toMatch(/^not ok/m);
});
