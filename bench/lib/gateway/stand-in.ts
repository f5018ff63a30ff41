// The stand-in GPU worker of `npm run bench:gateway`: a bare node:http server that speaks the internal
// protocol (shared/src/worker.ts) and answers at once, so what the bench measures is what sits in front
// of it. POST /internal/jobs: an SSE stream of started, STEPS progress events and completed (usage, and a
// tiny image as b64_json or url), written event by event as the worker does. It checks no token: nginx in front of it sends none. Run as its own
// process (`node --import tsx stand-in.ts`), it listens on PORT (0: any) and prints `stand-in <port>`.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { POLICY_NAMES } from "@guidegate/shared";

export const STAND_IN_MODEL = "stand-in";
export const STEPS = 20;
// A 1x1 PNG: small enough that the bench measures plumbing, not copying.
const PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const KEEP_OUTCOMES = 1_000;

const HEALTH = JSON.stringify({
  ok: true,
  worker: "stand-in",
  models: [{ id: STAND_IN_MODEL, sizes: ["32x32"], policies: [...POLICY_NAMES], negative_prompt: true }],
  capacity: 10_000,
  running: 0,
  queued: 0,
  max_queue: 10_000,
});

interface Job {
  job_id: string;
  seed: number;
  max_nfe: number;
  response_format?: string;
}

const sse = (seq: number, event: string, data: unknown) =>
  `id: ${seq}\nevent: ${event}\ndata: ${JSON.stringify({ event, ...(data as object) })}\n\n`;

function completedOf(job: Job) {
  const image = job.response_format === "url" ? { url: `http://stand-in/${job.job_id}.png` } : { b64_json: PNG_B64 };
  return {
    event: "completed",
    images: [{ ...image, width: 32, height: 32 }],
    seed: job.seed,
    usage: { nfe: job.max_nfe },
  };
}

/** The event stream of `job`, one string per event: it ran `max_nfe` NFEs over STEPS steps. */
function eventsOf(job: Job): string[] {
  const out = [
    sse(1, "started", { policy: "cfg", steps: STEPS, seed: job.seed, max_nfe: job.max_nfe, worker: "stand-in" }),
  ];
  for (let step = 1; step <= STEPS; step++)
    out.push(sse(step + 1, "progress", { step, steps: STEPS, nfe: Math.floor((job.max_nfe * step) / STEPS) }));
  out.push(sse(STEPS + 2, "completed", completedOf(job)));
  return out;
}

/** As the real worker sends them (hono's streamSSE): chunked, one write per event, with no wait between. */
function stream(res: ServerResponse, events: string[]): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  for (const e of events) res.write(e);
  res.end();
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

export function standInServer() {
  const outcomes = new Map<string, ReturnType<typeof completedOf>>();
  const remember = (job: Job) => {
    outcomes.set(job.job_id, completedOf(job));
    if (outcomes.size > KEEP_OUTCOMES) outcomes.delete(outcomes.keys().next().value!);
  };
  return createServer(async (req, res) => {
    const url = req.url ?? "/";
    if (req.method === "GET" && url === "/internal/health") return send(res, 200, "application/json", HEALTH);
    if (req.method === "POST" && url === "/internal/jobs") {
      const job = JSON.parse(await readBody(req)) as Job;
      remember(job);
      return stream(res, eventsOf(job));
    }
    const m = /^\/internal\/jobs\/([^/?]+)(\/cancel)?/.exec(url);
    if (m && req.method === "POST" && m[2]) {
      await readBody(req);
      return send(res, 202, "application/json", JSON.stringify({ id: m[1], cancelled: true, step: 0, nfe: 0 }));
    }
    if (m && req.method === "GET" && !m[2]) {
      const terminal = outcomes.get(m[1]!);
      if (!terminal)
        return send(
          res,
          404,
          "application/json",
          '{"error":{"type":"not_found_error","code":"job_not_found","message":"No such job.","param":null}}',
        );
      const body = { id: m[1], status: "completed", step: STEPS, nfe: terminal.usage.nfe, terminal };
      return send(res, 200, "application/json", JSON.stringify(body));
    }
    send(
      res,
      404,
      "application/json",
      '{"error":{"type":"not_found_error","code":"not_found","message":"No such route.","param":null}}',
    );
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = standInServer();
  server.keepAliveTimeout = 60_000;
  server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
    const addr = server.address();
    console.log(`stand-in ${typeof addr === "object" && addr ? addr.port : "?"}`);
  });
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
}
