// `npm start` as a user and a process manager meet it: real processes, real ports, real signals.
// The gateway port comes from GG_EDGE_PORT or PORT, local S3 keeps its port across restarts (so
// presigned URLs survive them), a taken port is named before anything starts, and SIGTERM to the
// top process alone (or SIGKILL of the launcher) leaves nothing running.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintDevToken } from "../../edge/src/auth/dev-token.ts";
import { freePort, ROOT } from "@guidegate/stack";

interface Launched {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let dir: string;
const launched: Launched[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "gg-start-"));
});
afterAll(async () => {
  // Whatever a failing test left behind: each launch is its own process group.
  for (const l of launched) {
    try {
      process.kill(-l.proc.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** The environment of a fresh shell: none of this machine's GG_* or PORT settings leak in. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("GG_") && k !== "PORT") env[k] = v;
  }
  return { ...env, GG_DATA_DIR: join(dir, "data"), ...extra };
}

function launch(command: string, args: string[], env: Record<string, string>): Launched {
  const stdio: ["ignore", "pipe", "pipe"] = ["ignore", "pipe", "pipe"];
  const proc = spawn(command, args, { cwd: ROOT, env: cleanEnv(env), stdio, detached: true });
  let text = "";
  proc.stdout!.on("data", (c: Buffer) => (text += c.toString()));
  proc.stderr!.on("data", (c: Buffer) => (text += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    proc.once("exit", (code, signal) => res({ code, signal })),
  );
  const l = { proc, out: () => text, exited };
  launched.push(l);
  return l;
}

const startTs = (env: Record<string, string>) =>
  launch(process.execPath, ["--import", "tsx", join(ROOT, "scripts", "start.ts")], env);

async function untilRunning(l: Launched, timeoutMs = 150_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (/guidegate is running[\s\S]*stops everything/.test(l.out())) return l.out();
    if (l.proc.exitCode !== null || l.proc.signalCode !== null) throw new Error(`start exited early:\n${l.out()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`start not running after ${timeoutMs} ms:\n${l.out()}`);
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once("error", () => res(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => res(true)));
  });
}

/** True once no process of the launch's group is left (the launcher, tsx, worker, edge, esbuild). */
function groupGone(l: Launched): boolean {
  try {
    process.kill(-l.proc.pid!, 0);
    return false;
  } catch {
    return true;
  }
}

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return check();
}

const workerPort = (out: string) => Number(/gpu-worker\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);

describe("npm start", () => {
  let s3Port: number | undefined;
  let imageUrl: string | undefined;

  it("takes the gateway port from PORT, hints gen at it, serves S3 on GG_S3_PORT; SIGTERM frees them", async () => {
    const edgePort = await freePort();
    s3Port = await freePort();
    const l = startTs({ PORT: String(edgePort), GG_S3_PORT: String(s3Port) });
    const out = await untilRunning(l);
    expect(out).toContain(`gateway     http://127.0.0.1:${edgePort}`);
    expect(out).toContain(`s3 (s3rver) http://127.0.0.1:${s3Port}`);
    // The hint reaches this gateway, not the default 8787.
    expect(out).toMatch(new RegExp(`npm run gen -- .*--url http://127\\.0\\.0\\.1:${edgePort}`));

    const token = await mintDevToken({ sub: "start-test", tier: "pro" });
    const res = await fetch(`http://127.0.0.1:${edgePort}/v1/images/generations`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ prompt: "a large red circle on a blue background", steps: 4, seed: 7 }),
    });
    expect(res.status).toBe(200);
    imageUrl = ((await res.json()) as { data: { url: string }[] }).data[0]!.url;
    expect(imageUrl.startsWith(`http://127.0.0.1:${s3Port}/`)).toBe(true);
    expect((await fetch(imageUrl)).status).toBe(200);

    const worker = workerPort(out);
    l.proc.kill("SIGTERM");
    expect(await l.exited).toEqual({ code: 0, signal: null });
    expect(await eventually(() => groupGone(l), 10_000)).toBe(true);
    for (const p of [edgePort, s3Port, worker]) expect(await portFree(p)).toBe(true);
  }, 240_000);

  it("via npm: a restart keeps the last run's presigned URLs working; SIGTERM to npm alone stops all", async () => {
    const edgePort = await freePort();
    s3Port ??= await freePort();
    const l = launch("npm", ["start"], { GG_EDGE_PORT: String(edgePort), GG_S3_PORT: String(s3Port) });
    const out = await untilRunning(l);
    const urlStatus = imageUrl ? (await fetch(imageUrl)).status : 0;

    const worker = workerPort(out);
    process.kill(l.proc.pid!, "SIGTERM"); // what a process manager sends: the top process only
    await l.exited;
    expect(await eventually(() => groupGone(l), 15_000)).toBe(true);
    for (const p of [edgePort, s3Port, worker]) expect(await portFree(p)).toBe(true);
    expect(urlStatus).toBe(200);
  }, 240_000);

  it("when the launcher is SIGKILLed, the worker and the edge stop too", async () => {
    const edgePort = await freePort();
    const l = startTs({ GG_EDGE_PORT: String(edgePort), GG_S3_PORT: String(await freePort()) });
    const out = await untilRunning(l);
    const worker = workerPort(out);
    l.proc.kill("SIGKILL");
    expect(await eventually(() => groupGone(l), 15_000)).toBe(true);
    for (const p of [edgePort, worker]) expect(await portFree(p)).toBe(true);
  }, 240_000);

  it("with the Deno edge: when the launcher is SIGKILLed, deno stops too", async () => {
    const edgePort = await freePort();
    const l = startTs({
      GG_EDGE_PORT: String(edgePort),
      GG_S3_PORT: String(await freePort()),
      GG_EDGE_RUNTIME: "deno",
    });
    const out = await untilRunning(l);
    const worker = workerPort(out);
    l.proc.kill("SIGKILL");
    expect(await eventually(() => groupGone(l), 15_000)).toBe(true);
    for (const p of [edgePort, worker]) expect(await portFree(p)).toBe(true);
  }, 240_000);

  it("when npm itself is SIGKILLed (its `sh -c` stays), everything under it stops too", async () => {
    const edgePort = await freePort();
    const l = launch("npm", ["start"], { GG_EDGE_PORT: String(edgePort), GG_S3_PORT: String(await freePort()) });
    const out = await untilRunning(l);
    const worker = workerPort(out);
    l.proc.kill("SIGKILL");
    expect(await eventually(() => groupGone(l), 15_000)).toBe(true);
    for (const p of [edgePort, worker]) expect(await portFree(p)).toBe(true);
  }, 240_000);

  describe("a taken port", () => {
    let busy: Server;
    let busyPort: number;
    beforeAll(async () => {
      // Another gateway: it answers every probe, /healthz included, with 200.
      busy = createHttpServer((_req, res) => res.end("ok"));
      await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
      busyPort = (busy.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((r) => busy.close(() => r())));

    it("gateway: names the port and GG_EDGE_PORT, exits non-zero, prints no stack trace and no 'running'", async () => {
      const l = startTs({ GG_EDGE_PORT: String(busyPort), GG_S3_PORT: String(await freePort()) });
      const { code } = await l.exited;
      const out = l.out();
      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      expect(out).toContain(`port ${busyPort}`);
      expect(out).toContain("GG_EDGE_PORT");
      expect(out).not.toContain("guidegate is running");
      expect(out).not.toMatch(/EADDRINUSE|\n\s+at /);
      expect(await eventually(() => groupGone(l), 10_000)).toBe(true);
    }, 120_000);

    it("local S3: names the port and GG_S3_PORT", async () => {
      const l = startTs({ GG_EDGE_PORT: String(await freePort()), GG_S3_PORT: String(busyPort) });
      const { code } = await l.exited;
      const out = l.out();
      expect(code).not.toBe(0);
      expect(out).toContain(`port ${busyPort}`);
      expect(out).toContain("GG_S3_PORT");
      expect(out).not.toMatch(/EADDRINUSE|\n\s+at /);
    }, 120_000);
  });
});
