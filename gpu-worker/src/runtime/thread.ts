// The runtime thread: owns the ONNX sessions (through SessionHost) and every generation's whole
// denoising loop, so a step's UNet run, guidance and scheduler follow each other without a hop
// between threads. The main thread only receives progress events and results.
import { parentPort } from "node:worker_threads";
import { DiffusionModel } from "../models/diffusion-model.ts";
import { SessionHost } from "../onnx/session-host.ts";
import { UnetBatcher } from "../pipeline/batcher.ts";
import { generate } from "../pipeline/generate.ts";
import { StepRecorder } from "../pipeline/record.ts";
import { unetTimes } from "../pipeline/unet-timing.ts";
import type { EventMessage, MetricMessage, Request, Response, RuntimeMetric } from "./protocol.ts";

const port = parentPort;
if (!port) throw new Error("runtime/thread.ts must run in a worker thread");

let host: SessionHost | null = null;
const served = new Map<string, { model: DiffusionModel; batcher: UnetBatcher }>();
const running = new Map<number, { abort: AbortController; at: { step: number; nfe: number }; stepAt: number }>();

const metric = (m: RuntimeMetric) => port!.postMessage({ id: 0, metric: m } satisfies MetricMessage);

function ready(): SessionHost {
  if (!host) throw new Error("runtime not initialised");
  return host;
}

async function handle(req: Request): Promise<Response> {
  switch (req.op) {
    case "init":
      host = new SessionHost(req.options);
      return { id: req.id, ok: true };
    case "openModel": {
      const model = await DiffusionModel.load(req.dir, ready(), req.defaults ? { defaults: req.defaults } : {});
      served.set(model.name, {
        model,
        batcher: new UnetBatcher(model, req.maxBatch, req.windowMs, (rows, ortMs) =>
          metric({ kind: "unet", rows, ortMs }),
        ),
      });
      const summary = {
        name: model.name,
        width: model.width,
        height: model.height,
        supportsPag: model.supportsPag,
        space: model.space,
        editable: model.editable,
      };
      return { id: req.id, ok: true, model: summary };
    }
    case "generate": {
      const m = served.get(req.model);
      if (!m) throw new Error(`model ${req.model} is not open`);
      const run = { abort: new AbortController(), at: { step: 0, nfe: 0 }, stepAt: performance.now() };
      running.set(req.id, run);
      try {
        const onEvent = (event: EventMessage["event"]) => {
          if (event.kind === "step") {
            run.at = { step: event.step, nfe: event.nfe };
            const now = performance.now();
            metric({ kind: "step", ms: now - run.stepAt }); // the first step includes encoding the prompts
            run.stepAt = now;
          }
          const msg: EventMessage = { id: req.id, event };
          // A preview's pixels are copied per event already: hand the buffer over instead of cloning it.
          port!.postMessage(msg, event.kind === "preview" ? owned([event.rgb]) : []);
        };
        const result = await generate(m.model, m.batcher, req.params, onEvent, run.abort.signal);
        return { id: req.id, ok: true, result };
      } finally {
        running.delete(req.id);
      }
    }
    case "unetTimes": {
      const m = served.get(req.model);
      if (!m) throw new Error(`model ${req.model} is not open`);
      return { id: req.id, ok: true, times: await unetTimes(m.model, req) };
    }
    case "cancel": {
      // The main thread's view lags by the events in flight: answer with where the loop really is.
      const run = running.get(req.target);
      run?.abort.abort();
      return { id: req.id, ok: true, ...(run ? { at: run.at } : {}) };
    }
    case "stats":
      return { id: req.id, ok: true, stats: { ortMs: ready().ortMs, runs: ready().runs } };
    case "close":
      await host?.close();
      served.clear();
      return { id: req.id, ok: true };
  }
}

/** Buffers a message can hand over instead of copying: only arrays that own their whole buffer. */
function owned(arrays: ArrayBufferView[]): ArrayBuffer[] {
  const out = arrays
    .filter((a) => a.byteOffset === 0 && a.byteLength === a.buffer.byteLength)
    .map((a) => a.buffer as ArrayBuffer);
  return [...new Set(out)];
}

function transferables(res: Response): ArrayBuffer[] {
  if (!res.ok) return [];
  return owned([...(res.result?.images ?? []), ...StepRecorder.buffers(res.result?.recordings)]);
}

port.on("message", (req: Request) => {
  handle(req).then(
    (res) => port.postMessage(res, transferables(res)),
    (err: unknown) =>
      port.postMessage({
        id: req.id,
        ok: false,
        error: err instanceof Error ? err.message : String(err),
      } satisfies Response),
  );
});
