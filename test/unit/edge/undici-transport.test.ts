// The Node entry's worker transport (edge/src/pool/undici-transport.ts) under the pool, against a real HTTP
// server: the events, the refusals, close() cutting the stream (which cancels on the worker), and
// connections kept alive across jobs.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { WorkerJob } from "@guidegate/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWorkerPool } from "../../../edge/src/pool/pool.ts";
import { JobRejectedError, NoCapacityError } from "../../../edge/src/pool/types.ts";
import { undiciPostJob } from "../../../edge/src/pool/undici-transport.ts";

const SECRET = "pool-test-internal-secret";
const clock = { now: () => Date.now() };
const job = (id: string): WorkerJob => ({
  job_id: id,
  tenant: "alice",
  model: "shapes-32",
  prompt: "x",
  n: 1,
  width: 32,
  height: 32,
  steps: 2,
  seed: 1,
  guidance: { policy: "none" },
  max_nfe: 2,
  output_format: "png",
  response_format: "url",
});
const EVENTS =
  'event: progress\ndata: {"event":"progress","step":1,"steps":2,"nfe":1}\n\n' +
  'event: completed\ndata: {"event":"completed","images":[{"url":"u","width":32,"height":32}],"seed":1,"usage":{"nfe":2}}\n\n';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

describe("undici transport", () => {
  let server: Server;
  let url: string;
  let handler: Handler;
  let connections = 0;
  beforeEach(async () => {
    connections = 0;
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => handler(req, res));
    });
    server.on("connection", () => connections++);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  const pool = () =>
    createWorkerPool({ workers: [url], internalSecret: SECRET, clock, healthTtlMs: 0, postJob: undiciPostJob() });

  it("streams a job's events, over one kept-alive connection for many jobs", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(EVENTS);
    };
    const p = pool();
    for (let i = 0; i < 5; i++) {
      const d = await p.dispatch(job(`job_abcdefg${i}`));
      const seen = [];
      for await (const e of d.events) seen.push(e.event);
      d.close();
      expect(seen).toEqual(["progress", "completed"]);
    }
    expect(connections).toBe(1);
  });

  it("closed after its terminal event, a dispatch lets the response end and keeps the connection", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(EVENTS);
      setTimeout(() => res.end(), 30); // the last bytes come after the terminal event
    };
    const p = pool();
    for (let i = 0; i < 3; i++) {
      const d = await p.dispatch(job(`job_abcdefg${i}`));
      for await (const e of d.events) if (e.event === "completed") break; // as JobRun stops
      d.close();
      await new Promise((r) => setTimeout(r, 60));
    }
    expect(connections).toBe(1);
  });

  it("a 400 is the job's fault; a 503 marks the worker full", async () => {
    const envelope = JSON.stringify({
      error: { type: "invalid_request_error", code: "bad", message: "no", param: "model" },
    });
    handler = (_req, res) => {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(envelope);
    };
    await expect(pool().dispatch(job("job_abcdefgh"))).rejects.toBeInstanceOf(JobRejectedError);
    handler = (_req, res) => {
      res.writeHead(503, { "content-type": "application/json", "retry-after": "2" });
      res.end(envelope);
    };
    const p = pool();
    await expect(p.dispatch(job("job_abcdefgh"))).rejects.toBeInstanceOf(NoCapacityError);
    expect(p.status()[0]!.up).toBe(false);
  });

  it("close() mid-stream cuts the connection, which is how the worker learns to cancel", async () => {
    let cut: () => void = () => {};
    const closed = new Promise<void>((r) => (cut = r));
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write('event: progress\ndata: {"event":"progress","step":1,"steps":2,"nfe":1}\n\n');
      res.on("close", () => cut()); // the job's lease ends here on a real worker
    };
    const d = await pool().dispatch(job("job_abcdefgh"));
    const it = d.events[Symbol.asyncIterator]();
    expect((await it.next()).value).toMatchObject({ event: "progress" });
    d.close();
    await closed;
    await expect(it.next()).rejects.toBeTruthy();
  });
});
