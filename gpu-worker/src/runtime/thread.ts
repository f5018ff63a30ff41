// The runtime thread: the only code that imports onnxruntime-node. run() is synchronous
// native work, so it lives here and the main thread's event loop stays free.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parentPort } from "node:worker_threads";
import * as ort from "onnxruntime-node";
import type { Request, Response, RuntimeOptions, SessionInfo, TensorData } from "./protocol.ts";

const sessions = new Map<string, ort.InferenceSession>();
let options: RuntimeOptions = { provider: "cpu", deviceId: 0, intraOpThreads: 0 };

function sessionOptions(): ort.InferenceSession.SessionOptions {
  const providers: ort.InferenceSession.ExecutionProviderConfig[] =
    options.provider === "cuda" ? [{ name: "cuda", deviceId: options.deviceId } as ort.InferenceSession.ExecutionProviderConfig] : ["cpu"];
  return {
    executionProviders: providers,
    graphOptimizationLevel: "all",
    ...(options.intraOpThreads > 0 ? { intraOpNumThreads: options.intraOpThreads } : {}),
  };
}

function info(s: ort.InferenceSession): SessionInfo {
  const meta = (list: readonly ort.InferenceSession.ValueMetadata[]) =>
    list.map((m) => ({
      name: m.name,
      type: m.isTensor ? String(m.type) : "non-tensor",
      shape: m.isTensor ? [...m.shape] : [],
    }));
  return { inputs: meta(s.inputMetadata), outputs: meta(s.outputMetadata) };
}

/** The CUDA EP is a separate shared library that the npm package does not bundle. */
function cudaProviderInstalled(): boolean {
  const pkg = dirname(createRequire(import.meta.url).resolve("onnxruntime-node/package.json"));
  return existsSync(join(pkg, "bin", "napi-v6", process.platform, process.arch, "libonnxruntime_providers_cuda.so"));
}

async function handle(req: Request): Promise<Response> {
  switch (req.op) {
    case "init": {
      options = req.options;
      if (options.provider === "cuda" && !cudaProviderInstalled()) {
        throw new Error(
          "CUDA execution provider requested but this onnxruntime-node build has no CUDA binaries. " +
            "On a GPU host run `node script/install.js --onnxruntime-node-install=cuda12` inside node_modules/onnxruntime-node (README, GPU hosts), or set GG_PROVIDER=cpu.",
        );
      }
      return { id: req.id, ok: true };
    }
    case "load": {
      const s = await ort.InferenceSession.create(req.path, sessionOptions());
      sessions.set(req.key, s);
      return { id: req.id, ok: true, info: info(s) };
    }
    case "run": {
      const s = sessions.get(req.key);
      if (!s) throw new Error(`no session ${req.key}`);
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(req.feeds)) feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
      const t0 = performance.now();
      const out = await s.run(feeds);
      const ms = performance.now() - t0;
      const outputs: Record<string, TensorData> = {};
      for (const [name, t] of Object.entries(out)) {
        outputs[name] = { type: t.type as TensorData["type"], data: t.data as TensorData["data"], dims: [...t.dims] };
      }
      return { id: req.id, ok: true, outputs, ms };
    }
    case "close":
      for (const s of sessions.values()) await s.release();
      sessions.clear();
      return { id: req.id, ok: true };
  }
}

const port = parentPort;
if (!port) throw new Error("runtime/thread.ts must run in a worker thread");
port.on("message", (req: Request) => {
  handle(req).then(
    (res) => {
      const transfer = res.ok && res.outputs ? Object.values(res.outputs).map((t) => t.data.buffer as ArrayBuffer) : [];
      port.postMessage(res, transfer);
    },
    (err: unknown) => port.postMessage({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
