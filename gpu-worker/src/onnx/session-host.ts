// The one module that imports onnxruntime-node. The worker loads it only inside the runtime
// thread: run() is synchronous native work and must not stall the main event loop.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as ort from "onnxruntime-node";
import type { RunResult, RuntimeOptions, SessionInfo, SessionRunner, TensorData } from "./tensors.ts";

/** The CUDA EP is a separate shared library that the npm package does not bundle. */
function cudaProviderInstalled(): boolean {
  const pkg = dirname(createRequire(import.meta.url).resolve("onnxruntime-node/package.json"));
  return existsSync(join(pkg, "bin", "napi-v6", process.platform, process.arch, "libonnxruntime_providers_cuda.so"));
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

export class SessionHost implements SessionRunner {
  private sessions = new Map<string, ort.InferenceSession>();
  /** ORT run() milliseconds and runs since start (bench:worker compares them with wall time). */
  ortMs = 0;
  runs = 0;

  constructor(private readonly options: RuntimeOptions) {
    if (options.provider === "cuda" && !cudaProviderInstalled()) {
      throw new Error(
        "CUDA execution provider requested but this onnxruntime-node build has no CUDA binaries. " +
          "On a GPU host run `node script/install.js --onnxruntime-node-install=cuda12` inside node_modules/onnxruntime-node (README, GPU hosts), or set GG_PROVIDER=cpu.",
      );
    }
  }

  private sessionOptions(): ort.InferenceSession.SessionOptions {
    const o = this.options;
    const providers: ort.InferenceSession.ExecutionProviderConfig[] =
      o.provider === "cuda"
        ? [{ name: "cuda", deviceId: o.deviceId } as ort.InferenceSession.ExecutionProviderConfig]
        : ["cpu"];
    return {
      executionProviders: providers,
      graphOptimizationLevel: "all",
      ...(o.intraOpThreads > 0 ? { intraOpNumThreads: o.intraOpThreads } : {}),
    };
  }

  async load(key: string, path: string): Promise<SessionInfo> {
    const s = await ort.InferenceSession.create(path, this.sessionOptions());
    await this.sessions.get(key)?.release();
    this.sessions.set(key, s);
    return info(s);
  }

  async run(key: string, feeds: Record<string, TensorData>): Promise<RunResult> {
    const s = this.sessions.get(key);
    if (!s) throw new Error(`no session ${key}`);
    const inputs: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) inputs[name] = new ort.Tensor(t.type, t.data, t.dims);
    const t0 = performance.now();
    const out = await s.run(inputs);
    const ms = performance.now() - t0;
    this.ortMs += ms;
    this.runs++;
    const outputs: Record<string, TensorData> = {};
    for (const [name, t] of Object.entries(out)) {
      outputs[name] = { type: t.type as TensorData["type"], data: t.data as TensorData["data"], dims: [...t.dims] };
    }
    return { outputs, ms };
  }

  async close(): Promise<void> {
    for (const s of this.sessions.values()) await s.release();
    this.sessions.clear();
  }
}
