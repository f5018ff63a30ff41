// Main-thread handle on the runtime thread: async load/run with transferred buffers.
import { Worker } from "node:worker_threads";
import type { Request, Response, RuntimeOptions, SessionInfo, TensorData } from "./protocol.ts";

type Pending = { resolve: (r: Response & { ok: true }) => void; reject: (e: Error) => void };
type RequestBody = Request extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

export interface RunResult {
  outputs: Record<string, TensorData>;
  ms: number; // time inside ORT's run(), for overhead accounting
}

export class OnnxRuntime {
  private next = 1;
  private pending = new Map<number, Pending>();
  private failure: Error | null = null;
  /** Sum of ORT run() milliseconds since start (the bench compares it with wall time). */
  ortMs = 0;
  /** Sum of run() round trips seen from the main thread (ORT time plus the hop to the thread and back). */
  roundTripMs = 0;
  runs = 0;

  private constructor(private readonly worker: Worker) {
    worker.on("message", (res: Response) => {
      const p = this.pending.get(res.id);
      if (!p) return;
      this.pending.delete(res.id);
      if (res.ok) p.resolve(res);
      else p.reject(new Error(res.error));
    });
    const fail = (err: Error) => {
      this.failure = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`runtime thread exited (${code})`)));
  }

  static async start(options: RuntimeOptions): Promise<OnnxRuntime> {
    const worker = new Worker(new URL("./thread-entry.mjs", import.meta.url));
    const rt = new OnnxRuntime(worker);
    try {
      await rt.call({ op: "init", options });
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return rt;
  }

  private call(body: RequestBody, transfer: ArrayBuffer[] = []): Promise<Response & { ok: true }> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...body, id } as Request, transfer);
    });
  }

  async load(key: string, path: string): Promise<SessionInfo> {
    const res = await this.call({ op: "load", key, path });
    return res.info!;
  }

  /** Runs a session; the feeds' buffers are transferred (callers must not reuse them). */
  async run(key: string, feeds: Record<string, TensorData>): Promise<RunResult> {
    const transfer = [...new Set(Object.values(feeds).map((t) => t.data.buffer as ArrayBuffer))];
    const t0 = performance.now();
    const res = await this.call({ op: "run", key, feeds }, transfer);
    this.roundTripMs += performance.now() - t0;
    this.runs++;
    this.ortMs += res.ms ?? 0;
    return { outputs: res.outputs!, ms: res.ms ?? 0 };
  }

  async close(): Promise<void> {
    try {
      await this.call({ op: "close" });
    } finally {
      await this.worker.terminate();
    }
  }
}
