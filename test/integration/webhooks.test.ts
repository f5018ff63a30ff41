// Signed webhooks end to end: the Node edge process, a real gpu-worker and S3, and real receivers (node:http)
// that verify every request with the standardwebhooks package's Webhook.verify. Small backoff settings
// (GG_WEBHOOK_BACKOFF_*) keep retries fast; every wait polls for a state, none asserts on time.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restartEdge, stopService, stopStack } from "../../bench/lib/reliability/restart.ts";
import { until } from "../../bench/lib/reliability/probes.ts";
import { mintDevToken } from "../../edge/src/auth/dev-token.ts";
import { DEV_INTERNAL_SECRET, freePort, type Service, type Stack, spawnTs, startStack } from "@guidegate/stack";

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  verified: boolean;
  status: number;
}

/** A receiver: verifies with the secret registered for the path's first segment, answers `answer(n)` to its nth request. */
class Receiver {
  readonly got: Received[] = [];
  readonly secrets = new Map<string, string>();
  readonly plan = new Map<string, number[]>(); // statuses to answer first, per path
  private server: Server | null = null;

  async listen(port = 0): Promise<number> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const path = req.url ?? "/";
        const body = Buffer.concat(chunks).toString("utf8");
        const headers = flat(req.headers);
        const secret = this.secrets.get(path);
        let verified = false;
        try {
          if (secret) new Webhook(secret).verify(body, headers);
          verified = secret !== undefined;
        } catch {
          verified = false;
        }
        const status = verified ? (this.plan.get(path)?.shift() ?? 204) : 400;
        this.got.push({ path, headers, body, verified, status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(port, "127.0.0.1", r));
    return (this.server.address() as AddressInfo).port;
  }

  ok(path: string): Received[] {
    return this.got.filter((g) => g.path === path && g.status < 300);
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

const flat = (h: IncomingHttpHeaders): Record<string, string> =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]));

interface Delivery {
  id: string;
  endpoint_id: string | null;
  event_type: string;
  status: string;
  attempts: number;
  last_error: string | null;
  log: { status: number | null }[];
}

let dir: string;
let stack: Stack;
let restarted: Service | undefined;
let production: Service | undefined;
const receiver = new Receiver();
let base = "";
let n = 0;

const tenant = () => `hooks-${++n}-${Date.now()}`;
const headers = async (sub: string, secret?: string) => ({
  authorization: `Bearer ${await mintDevToken({ sub, tier: "pro", ...(secret ? { secret } : {}) })}`,
  "content-type": "application/json",
});
const edgeUrl = () => (restarted ?? stack.edge).url;
const post = async (sub: string, path: string, body: unknown) =>
  fetch(`${edgeUrl()}${path}`, { method: "POST", headers: await headers(sub), body: JSON.stringify(body) });
const get = async (sub: string, path: string) => fetch(`${edgeUrl()}${path}`, { headers: await headers(sub) });

async function endpoint(sub: string, url: string, r: Receiver = receiver): Promise<{ id: string; secret: string }> {
  const res = await post(sub, "/v1/webhook_endpoints", { url });
  expect(res.status).toBe(201);
  const e = (await res.json()) as { id: string; secret: string };
  r.secrets.set(new URL(url).pathname, e.secret);
  return e;
}

async function startJob(sub: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await post(sub, "/v1/jobs", { prompt: "a small red circle on a white background", steps: 4, ...extra });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

const deliveries = async (sub: string, jobId: string) =>
  ((await (await get(sub, `/v1/jobs/${jobId}/webhook_deliveries`)).json()) as { data: Delivery[] }).data;

const jobIdOf = (g: Received) => (JSON.parse(g.body) as { data: { id: string } }).data.id;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gg-webhooks-"));
  base = `http://127.0.0.1:${await receiver.listen()}`;
  stack = await startStack({
    dataDir: dir,
    edgeEnv: { GG_WEBHOOK_BACKOFF_BASE_MS: "40", GG_WEBHOOK_BACKOFF_MAX_MS: "300", GG_WEBHOOK_TIMEOUT_MS: "2000" },
  });
});

afterAll(async () => {
  await stopService(restarted);
  await stopService(production);
  await stopStack(stack);
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("signed webhooks on the Node edge", () => {
  it("delivers exactly one verified event per finished job, with usage and image URLs", async () => {
    const sub = tenant();
    await endpoint(sub, `${base}/once`);
    const ids = [await startJob(sub), await startJob(sub), await startJob(sub, { steps: 40 })];
    await post(sub, `/v1/jobs/${ids[2]}/cancel`, {});
    await until(
      "a delivery for every job",
      async () => ids.every((id) => receiver.ok("/once").some((g) => jobIdOf(g) === id)),
      60_000,
    );
    for (const id of ids) {
      const job = (await (await get(sub, `/v1/jobs/${id}`)).json()) as {
        status: string;
        usage: { nfe: number; cost_micro_usd: number };
      };
      const mine = receiver.got.filter((g) => g.path === "/once" && jobIdOf(g) === id);
      expect(mine.map((g) => [g.verified, g.status])).toEqual([[true, 204]]);
      const body = JSON.parse(mine[0]!.body) as {
        type: string;
        data: { status: string; usage: unknown; images: { url: string }[] };
      };
      expect(body.type).toBe(`job.${job.status}`);
      expect(body.data.usage).toEqual(job.usage);
      if (job.status === "completed") {
        expect(body.data.images).toHaveLength(1);
        expect((await fetch(body.data.images[0]!.url)).status).toBe(200);
      }
      const [d, ...more] = await deliveries(sub, id);
      expect(more).toEqual([]);
      expect(d).toMatchObject({ id: mine[0]!.headers["webhook-id"], status: "delivered", attempts: 1 });
    }
    expect(new Set(receiver.ok("/once").map((g) => g.headers["webhook-id"])).size).toBe(3);
  });

  it("retries a receiver that fails its first attempts, under the same webhook-id", async () => {
    const sub = tenant();
    await endpoint(sub, `${base}/flaky`);
    receiver.plan.set("/flaky", [500, 500]);
    const id = await startJob(sub);
    await until("the flaky receiver's success", async () => receiver.ok("/flaky").length === 1, 60_000);
    const mine = receiver.got.filter((g) => g.path === "/flaky");
    expect(mine.map((g) => g.status)).toEqual([500, 500, 204]);
    expect(new Set(mine.map((g) => g.headers["webhook-id"])).size).toBe(1);
    expect(new Set(mine.map((g) => g.body)).size).toBe(1);
    const [d] = await deliveries(sub, id);
    expect(d).toMatchObject({ status: "delivered", attempts: 3 });
    expect(d!.log.map((a) => a.status)).toEqual([500, 500, 204]);
  });

  it("signs a per-job webhook_url with the tenant's secret; a tampered body fails verification", async () => {
    const sub = tenant();
    const { secret } = (await (await get(sub, "/v1/webhook_secret")).json()) as { secret: string };
    receiver.secrets.set("/own", secret);
    const id = await startJob(sub, { webhook_url: `${base}/own` });
    const [got] = await until(
      "the job's own webhook",
      async () => (receiver.ok("/own").length ? receiver.ok("/own") : null),
      60_000,
    );
    expect(jobIdOf(got!)).toBe(id);
    expect((await deliveries(sub, id)).map((d) => d.endpoint_id)).toEqual([null]);

    const wh = new Webhook(secret);
    expect(() => wh.verify(got!.body, got!.headers)).not.toThrow();
    const tampered = got!.body.replace(/"nfe":(\d+)/, (_m, v) => `"nfe":${Number(v) + 1}`);
    expect(tampered).not.toBe(got!.body);
    expect(() => wh.verify(tampered, got!.headers)).toThrow(/signature/i);
    const otherId = { ...got!.headers, "webhook-id": "msg_000000000000000000000000" };
    expect(() => wh.verify(got!.body, otherId)).toThrow(/signature/i);
  });

  it("still delivers to a receiver that was down across an edge restart", async () => {
    const sub = tenant();
    const port = await freePort(); // nothing listens yet: connection refused
    const late = new Receiver();
    await endpoint(sub, `http://127.0.0.1:${port}/late`, late);
    const id = await startJob(sub);
    const before = await until(
      "failed attempts while the receiver is down",
      async () => (await deliveries(sub, id)).find((d) => d.attempts >= 2),
      60_000,
    );
    expect(before.status).toBe("pending");
    expect(before.last_error).toMatch(/request failed/);

    const killed = new Promise((r) => stack.edge.proc.once("exit", r));
    stack.edge.proc.kill("SIGKILL"); // a crash: nothing is flushed on the way out
    await killed;
    await late.listen(port);
    try {
      restarted = await restartEdge(stack.edge);
      await until("the delivery after the restart", async () => late.ok("/late").length === 1, 60_000);
      const [got] = late.ok("/late");
      expect(got!.verified).toBe(true);
      expect(got!.headers["webhook-id"]).toBe(before.id);
      expect(jobIdOf(got!)).toBe(id);
      const [after] = await deliveries(sub, id);
      expect(after).toMatchObject({ id: before.id, status: "delivered" });
      expect(after!.attempts).toBeGreaterThan(before.attempts);
    } finally {
      await late.close();
    }
  });

  it("in production refuses webhook URLs on loopback, private and link-local addresses", async () => {
    const secret = "production-webhook-test-secret-0123456789abcdef";
    const port = await freePort();
    const { proc, output } = spawnTs(
      "edge/src/node.ts",
      {
        NODE_ENV: "production",
        PORT: String(port),
        GG_WORKER_URLS: stack.workers[0]!.url,
        GG_INTERNAL_SECRET: DEV_INTERNAL_SECRET,
        GG_JWT_SECRET: secret,
        GG_LEDGER_PATH: join(dir, "production", "ledger.sqlite"),
      },
      "edge:production",
      true,
    );
    production = { url: `http://127.0.0.1:${port}`, port, proc, env: {}, output };
    await until("the production edge", async () => (await fetch(`${production!.url}/healthz`)).ok, 60_000);
    const h = await headers("prod-tenant", secret);
    for (const url of [
      `${base}/x`,
      `http://localhost:${port}/`,
      "http://10.0.0.7/",
      "http://[::1]:80/",
      "http://169.254.169.254/",
    ]) {
      const res = await fetch(`${production.url}/v1/webhook_endpoints`, {
        method: "POST",
        headers: h,
        body: JSON.stringify({ url }),
      });
      expect(res.status, url).toBe(400);
      expect(((await res.json()) as { error: { param: string } }).error).toMatchObject({
        code: "invalid_webhook_url",
        param: "url",
      });
    }
    const job = await fetch(`${production.url}/v1/jobs`, {
      method: "POST",
      headers: h,
      body: JSON.stringify({ prompt: "a red circle", webhook_url: "http://192.168.0.10/hook" }),
    });
    expect(job.status).toBe(400);
    expect(((await job.json()) as { error: { param: string } }).error.param).toBe("webhook_url");
  });
});
