// infra/docker/gpu-worker.Dockerfile: the entry it runs exists, what it copies exists and is not
// ignored, its GG_* settings are ones the worker reads, and the packages it deletes after
// `npm ci` are never imported by the worker's code.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "@guidegate/stack";
import { copySources, envPairs, instructions, stages } from "./dockerfile.ts";
import { WORKER_DEFAULTS, workerReads } from "./manifests.ts";

const DOCKERFILE = join(ROOT, "infra", "docker", "gpu-worker.Dockerfile");
const text = readFileSync(DOCKERFILE, "utf8");
const all = instructions(text);
const image = stages(all).at(-1)!;
const last = (op: string) => image.filter((i) => i.op === op).at(-1);

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : /\.(ts|mts|mjs|js)$/.test(f) ? [p] : [];
  });
}

/** Package names the worker's code imports (bare specifiers, node: builtins excluded). */
function importedPackages(): Set<string> {
  const out = new Set<string>();
  for (const file of [...tsFiles(join(ROOT, "gpu-worker", "src")), ...tsFiles(join(ROOT, "shared", "src"))]) {
    const src = readFileSync(file, "utf8");
    for (const m of src.matchAll(/(?:from|import)\s*\(?\s*["']([^"'./][^"']*)["']/g)) {
      const spec = m[1]!;
      if (spec.startsWith("node:")) continue;
      out.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
    }
  }
  return out;
}

describe("gpu-worker Dockerfile", () => {
  it("runs the worker entry, which exists, with tsx", () => {
    const cmd = JSON.parse(last("CMD")!.args) as string[]; // exec form: node is PID 1 and gets SIGTERM
    expect(cmd.slice(0, 3)).toEqual(["node", "--import", "tsx"]);
    const workdir = last("WORKDIR")!.args;
    expect(workdir).toBe("/app");
    const entry = cmd.at(-1)!;
    expect(entry).toBe("gpu-worker/src/main.ts");
    expect(existsSync(join(ROOT, entry))).toBe(true);
    expect(image.some((i) => i.op === "ENTRYPOINT")).toBe(false);
  });

  it("is built on a CUDA 12 + cuDNN runtime image with Node 20, and installs the CUDA 12 EP after npm ci", () => {
    expect(text).toMatch(/ARG CUDA_IMAGE=nvidia\/cuda:12\.[0-9.]+-cudnn-runtime-ubuntu22\.04/);
    expect(text).toMatch(/ARG NODE_IMAGE=node:20[-.]/);
    const runs = all.filter((i) => i.op === "RUN").map((i) => i.args);
    const ci = runs.findIndex((r) => /\bnpm ci\b/.test(r));
    const ep = runs.findIndex((r) =>
      r.includes("cd node_modules/onnxruntime-node && node script/install.js --onnxruntime-node-install=cuda12"),
    );
    expect(ci).toBeGreaterThanOrEqual(0);
    expect(ep).toBeGreaterThan(ci);
  });

  it("copies only paths that exist and that its .dockerignore lets through", () => {
    const ignore = readFileSync(`${DOCKERFILE}.dockerignore`, "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    const sources = all.filter((i) => i.op === "COPY").flatMap((i) => copySources(i.args) ?? []);
    expect(sources.length).toBeGreaterThan(5);
    for (const s of sources) {
      expect(existsSync(join(ROOT, s)), s).toBe(true);
      const top = s.split("/")[0]!;
      expect(
        ignore.filter((p) => p === s || p === top),
        s,
      ).toEqual([]);
    }
    expect(sources).toContain("gpu-worker/src");
    expect(sources).toContain("shared/src");
  });

  it("sets only GG_* variables the worker reads, with values its config accepts", () => {
    const env = Object.assign({}, ...image.filter((i) => i.op === "ENV").map((i) => envPairs(i.args))) as Record<
      string,
      string
    >;
    const gg = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith("GG_")));
    expect(gg.GG_PROVIDER).toBe("cuda");
    expect(gg.GG_WORKER_HOST).toBe("0.0.0.0");
    expect([...workerReads(gg)].sort()).toEqual(Object.keys(gg).sort());
    expect(Number(gg.GG_WORKER_PORT)).toBe(WORKER_DEFAULTS.GG_WORKER_PORT);
    expect(last("EXPOSE")!.args).toBe(String(WORKER_DEFAULTS.GG_WORKER_PORT));
    const modelDir = gg.GG_MODEL_DIRS!.replace(/^\/app\//, "");
    expect(existsSync(join(ROOT, modelDir, "model_index.json"))).toBe(true);
  });

  it("deletes after npm ci only packages the worker never imports", () => {
    const rm = all.find((i) => i.op === "RUN" && i.args.startsWith("rm -rf node_modules/"))!;
    const removed = rm.args
      .split(/\s+/)
      .filter((w) => w.startsWith("node_modules/"))
      .map((w) => relative("node_modules", w));
    const used = importedPackages();
    expect(used.has("onnxruntime-node")).toBe(true); // the scan sees the worker's imports
    expect(removed.filter((p) => used.has(p))).toEqual([]);
    expect(removed).not.toContain("tsx");
    expect(removed).not.toContain("esbuild");
  });
});
