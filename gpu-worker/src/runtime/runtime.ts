// Main-thread handle on the runtime thread: models served entirely inside the thread
// (ServedModel), whose generations run their whole denoising loop there.
import { Worker } from "node:worker_threads";
import type { RuntimeOptions } from "../onnx/tensors.ts";
import type { GenerateEvent, GenerateResult } from "../pipeline/generate.ts";
import type { UnetTimingRequest } from "../pipeline/unet-timing.ts";
import type {
  EventMessage,
  MetricMessage,
  ModelSummary,
  PipelineParams,
  Progress,
  Request,
  Response,
  RuntimeMetric,
  RuntimeStats,
  ServeOptions,
} from "./protocol.ts";

type Ok = Response & { ok: true };
type Pending = { resolve: (r: Ok) => void; reject: (e: Error) => void; onEvent?: (e: GenerateEvent) => void };
type RequestBody = Request extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

export class OnnxRuntime {
  private next = 1;
  private pending = new Map<number, Pending>();
  private failure: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    onMetric?: (m: RuntimeMetric) => void,
  ) {
    worker.on("message", (msg: Response | EventMessage | MetricMessage) => {
      if ("metric" in msg) {
        onMetric?.(msg.metric);
        return;
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      if ("event" in msg) {
        p.onEvent?.(msg.event);
        return;
      }
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg);
      else p.reject(new Error(msg.error));
    });
    const fail = (err: Error) => {
      this.failure = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`runtime thread exited (${code})`)));
  }

  /** `onMetric` hears the timings the thread measures (UNet runs, steps): the worker's metrics. */
  static async start(options: RuntimeOptions, onMetric?: (m: RuntimeMetric) => void): Promise<OnnxRuntime> {
    const worker = new Worker(new URL("./thread-entry.mjs", import.meta.url));
    const rt = new OnnxRuntime(worker, onMetric);
    try {
      await rt.call({ op: "init", options });
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return rt;
  }

  private send(body: RequestBody, onEvent?: (e: GenerateEvent) => void): { id: number; done: Promise<Ok> } {
    const id = this.next++;
    if (this.failure) return { id, done: Promise.reject(this.failure) };
    const done = new Promise<Ok>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onEvent });
      this.worker.postMessage({ ...body, id } as Request);
    });
    return { id, done };
  }

  private call(body: RequestBody): Promise<Ok> {
    return this.send(body).done;
  }

  /** Loads a model inside the runtime thread with its own cross-request batcher. */
  async serve(dir: string, opts: ServeOptions): Promise<ServedModel> {
    const { maxBatch, windowMs, defaults } = opts;
    const res = await this.call({ op: "openModel", dir, maxBatch, windowMs, ...(defaults ? { defaults } : {}) });
    const name = res.model!.name;
    return new ServedModel(
      res.model!,
      (params, onEvent, signal, onCancelled) => this.generate(name, params, onEvent, signal, onCancelled),
      async (timing) => (await this.call({ op: "unetTimes", model: name, ...timing })).times!,
    );
  }

  private async generate(
    model: string,
    params: PipelineParams,
    onEvent: (e: GenerateEvent) => void | Promise<void>,
    signal?: AbortSignal,
    onCancelled?: (at: Progress) => void,
  ): Promise<GenerateResult> {
    // Events arrive while the thread keeps stepping; handle them one at a time, in order.
    let chain: Promise<void> = Promise.resolve();
    let handlerError: unknown = null;
    const { id, done } = this.send({ op: "generate", model, params }, (e) => {
      chain = chain
        .then(() => onEvent(e))
        .catch((err: unknown) => {
          handlerError ??= err;
          cancel();
        });
    });
    const cancel = () =>
      void this.call({ op: "cancel", target: id }).then(
        (r) => r.at && onCancelled?.(r.at),
        () => {},
      );
    if (signal?.aborted) cancel();
    signal?.addEventListener("abort", cancel, { once: true });
    try {
      const outcome = await done.then(
        (res) => ({ res }),
        (err: unknown) => ({ err }),
      );
      await chain; // every event the thread sent is handled before the caller hears the outcome
      if ("err" in outcome) throw outcome.err;
      if (handlerError) throw handlerError;
      return outcome.res.result!;
    } finally {
      signal?.removeEventListener("abort", cancel);
    }
  }

  /** ORT time and runs inside the thread, over every model it serves. */
  async stats(): Promise<RuntimeStats> {
    return (await this.call({ op: "stats" })).stats!;
  }

  async close(): Promise<void> {
    try {
      await this.call({ op: "close" });
    } finally {
      await this.worker.terminate();
    }
  }
}

/** A model whose denoising loop runs in the runtime thread; the main thread sees events and results. */
export class ServedModel implements ModelSummary {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly supportsPag: boolean;
  readonly space: "pixel" | "latent";
  readonly editable: boolean;

  constructor(
    summary: ModelSummary,
    /** `onCancelled` hears where the loop stood when an abort reached it (it ends within one more step). */
    readonly generate: (
      params: PipelineParams,
      onEvent: (e: GenerateEvent) => void | Promise<void>,
      signal?: AbortSignal,
      onCancelled?: (at: Progress) => void,
    ) => Promise<GenerateResult>,
    /** ORT milliseconds of raw UNet runs at a batch size, outside the batcher (bench:worker, bench:model). */
    readonly unetTimes: (timing: UnetTimingRequest) => Promise<number[]>,
  ) {
    ({
      name: this.name,
      width: this.width,
      height: this.height,
      supportsPag: this.supportsPag,
      space: this.space,
      editable: this.editable,
    } = summary);
  }
}
