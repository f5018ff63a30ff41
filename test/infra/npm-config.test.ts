// The project's npm configuration: npm warns about nothing in it but onnxruntime-node's own skip key, and
// `npm ci` never runs onnxruntime-node's install script (which downloads CUDA binaries from NuGet, unreachable on a
// machine that only reaches the npm registry). package.json's allowScripts denies the script; npm
// honours that from 11.16, and engines.npm with engine-strict stops an older npm before it installs.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ROOT } from "@guidegate/stack";

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  engines: Record<string, string>;
  allowScripts: Record<string, boolean>;
};
// npm's own settings only: none of this machine's npm_config_* or onnxruntime variables.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^npm_|^ONNXRUNTIME_NODE_INSTALL/i.test(k)),
);
const npm = (...args: string[]) => run("npm", args, { cwd: ROOT, env, timeout: 120_000 });

describe("npm configuration", () => {
  it("npm warns about no project config but onnxruntime-node's own skip key, which reaches its script", async () => {
    const { stderr } = await npm("pkg", "get", "name");
    const unknown = [...stderr.matchAll(/Unknown project config "([^"]+)"/g)].map((m) => m[1]);
    expect(unknown.every((key) => key === "onnxruntime-node-install")).toBe(true);
    // The key is what the install script reads (npm_config_onnxruntime_node_install) should npm run it.
    expect((await npm("config", "get", "onnxruntime-node-install")).stdout.trim()).toBe("skip");
  });

  it("onnxruntime-node's install script is denied, and the npm in use is one that honours the denial", async () => {
    expect(pkg.allowScripts["onnxruntime-node"]).toBe(false);
    const [major, minor] = (await npm("--version")).stdout.trim().split(".").map(Number) as [number, number];
    expect(major > 11 || (major === 11 && minor >= 16)).toBe(true);
    expect(pkg.engines.npm).toBe(">=11.16");
    expect((await npm("config", "get", "engine-strict")).stdout.trim()).toBe("true");
  });

  it("npm runs no install script for onnxruntime-node (rebuilt the way npm ci builds it)", async () => {
    // Seatbelt: should npm run the script after all, the script itself then skips its download.
    const seatbelt = { ...env, ONNXRUNTIME_NODE_INSTALL: "skip" };
    const { stdout, stderr } = await run("npm", ["rebuild", "onnxruntime-node", "--foreground-scripts"], {
      cwd: ROOT,
      env: seatbelt,
      timeout: 120_000,
    });
    expect(`${stdout}${stderr}`).not.toContain("script/install");
  });
});
