// @guidegate/stack starts the local stack as real processes: s3rver (in this process), N gpu-workers
// and the edge on Node, each on a free loopback port unless given one. Used by `npm start`, the
// reliability bench and the integration tests. Every service it spawns stops when this process is
// gone, however it went (exit-with-parent.mjs, exit-with-parent.deno.ts for the Deno edge).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import S3rver from "s3rver";

export const ROOT = resolve(import.meta.dirname, "..", "..");
export const DEFAULT_MODEL = join(ROOT, "models", "shapes-32");
export { DEV_JWT_SECRET } from "../../edge/src/auth/dev-token.ts";
import { DEV_JWT_SECRET } from "../../edge/src/auth/dev-token.ts";
export { DEV_INTERNAL_SECRET } from "@guidegate/shared";
import { DEV_INTERNAL_SECRET } from "@guidegate/shared";

/** A port the stack was told to use is taken: which one, and for what. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly service: "gateway" | "local S3",
  ) {
    super(`port ${port} (${service}) is already in use`);
    this.name = "PortInUseError";
  }
}

/** Can this process listen on host:port right now? */
export async function portIsFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", () => res(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => res(true)));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

/** Ready when `url` answers 2xx and, if given, `own()` says the answer came from this process (another
 * process on the same port answers health probes too). */
async function waitFor(
  url: string,
  proc: ChildProcess,
  timeoutMs: number,
  name: string,
  own?: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with code ${proc.exitCode} before it was ready`);
    try {
      const r = await fetch(url);
      if (r.ok && (!own || own())) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${name} not ready at ${url} after ${timeoutMs} ms`);
}

export interface Service {
  url: string;
  port: number;
  proc: ChildProcess;
  env: Record<string, string>;
  output: string[];
}

const EXIT_WITH_PARENT = pathToFileURL(join(import.meta.dirname, "exit-with-parent.mjs")).href;

/** A TypeScript entry under Node (no tsx wrapper process in between), stopping when this process is gone.
 * `nodeArgs` go before the entry (`--cpu-prof` for a profile). */
export function spawnTs(
  entry: string,
  env: Record<string, string>,
  name: string,
  quiet: boolean,
  nodeArgs: readonly string[] = [],
): { proc: ChildProcess; output: string[] } {
  const args = ["--import", "tsx", "--import", EXIT_WITH_PARENT, ...nodeArgs, join(ROOT, entry)];
  return spawnCommand(process.execPath, args, { ...env, GG_STACK_PARENT_PID: String(process.pid) }, name, quiet);
}

const said = (output: string[], text: string) => () => output.some((chunk) => chunk.includes(text));

export function spawnCommand(
  command: string,
  args: string[],
  env: Record<string, string>,
  name: string,
  quiet: boolean,
): { proc: ChildProcess; output: string[] } {
  const output: string[] = [];
  const proc = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    output.push(text);
    if (output.length > 200) output.shift();
    if (!quiet) process.stdout.write(text.replace(/^(?=.)/gm, `[${name}] `));
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  return { proc, output };
}

/** The same edge app inside workerd (`wrangler dev`), its vars passed on the command line. */
function spawnWrangler(
  port: number,
  env: Record<string, string>,
  persistTo: string,
  quiet: boolean,
): { proc: ChildProcess; output: string[] } {
  const vars: Record<string, string> = {
    GG_WORKER_URLS: env.GG_WORKER_URLS!,
    GG_INTERNAL_SECRET: env.GG_INTERNAL_SECRET!,
    GG_JWT_SECRET: env.GG_JWT_SECRET!,
    GG_JWKS_URL: "",
    GG_ISSUER: "guidegate-dev",
    GG_AUDIENCE: "guidegate-api",
    ...Object.fromEntries(
      Object.entries(env).filter(([k]) => k.startsWith("GG_") && !["GG_EDGE_PORT", "GG_LEDGER_PATH"].includes(k)),
    ),
  };
  const wrangler = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
  const args = [
    "--import",
    EXIT_WITH_PARENT,
    wrangler,
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--persist-to",
    persistTo,
    "--show-interactive-dev-session=false",
    "--log-level",
    "warn",
  ];
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const output: string[] = [];
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      CI: "true",
      NO_COLOR: "1",
      GG_STACK_PARENT_PID: String(process.pid), // exit-with-parent.mjs
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
    if (!quiet) process.stdout.write(chunk.toString().replace(/^(?=.)/gm, "[edge:workerd] "));
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  return { proc, output };
}

export interface S3Handle {
  endpoint: string;
  port: number;
  directory: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** s3rver on `port` (a free one when not given). */
export async function startS3(directory: string, port?: number): Promise<S3Handle> {
  mkdirSync(directory, { recursive: true });
  const p = port ?? (await freePort());
  let server: S3rver | null = null;
  const handle: S3Handle = {
    endpoint: `http://127.0.0.1:${p}`,
    port: p,
    directory,
    async start() {
      server = new S3rver({
        port: p,
        address: "127.0.0.1",
        directory,
        silent: true,
        configureBuckets: [{ name: "guidegate-images", configs: [] }],
      });
      await server.run();
    },
    async stop() {
      await server?.close();
      server = null;
    },
  };
  await handle.start();
  return handle;
}

/** The Deno edge (edge/src/deno.ts) as a child that stops when this process is gone. */
export function spawnDenoEdge(env: Record<string, string>, quiet: boolean) {
  return spawnCommand(
    join(ROOT, "node_modules", ".bin", "deno"),
    [
      "run",
      "-A",
      "--unstable-kv", // Deno.openKv is still behind this flag (deno 2.9)
      "--preload",
      join(import.meta.dirname, "exit-with-parent.deno.ts"),
      join(ROOT, "edge", "src", "deno.ts"),
    ],
    { ...env, GG_STACK_PARENT_PID: String(process.pid) },
    "edge:deno",
    quiet,
  );
}

/** Which runtime hosts the edge: @hono/node-server, workerd through `wrangler dev`, or Deno.serve. */
export type EdgeRuntime = "node" | "workerd" | "deno";

export interface StackOptions {
  dataDir: string;
  edgeRuntime?: EdgeRuntime;
  /** Fixed ports (`npm start`); free ones when not given (tests start stacks side by side). */
  edgePort?: number;
  s3Port?: number;
  workers?: number;
  modelDirs?: string[];
  quiet?: boolean;
  workerEnv?: Record<string, string>;
  edgeEnv?: Record<string, string>;
}

export interface Stack {
  edgeUrl: string;
  edge: Service;
  workers: Service[];
  s3: S3Handle;
  startWorker(extraEnv?: Record<string, string>): Promise<Service>;
  stop(): Promise<void>;
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const quiet = opts.quiet ?? true;
  // Fixed ports are checked before anything starts, so a taken one is named, not a child's EADDRINUSE.
  const fixed = [
    { port: opts.edgePort, service: "gateway" as const },
    { port: opts.s3Port, service: "local S3" as const },
  ];
  for (const { port, service } of fixed) {
    if (port !== undefined && !(await portIsFree(port))) throw new PortInUseError(port, service);
  }
  const s3 = await startS3(join(opts.dataDir, "s3"), opts.s3Port);
  const workers: Service[] = [];
  const children: ChildProcess[] = [];
  let nextWorker = 0;

  const startWorker = async (extraEnv: Record<string, string> = {}): Promise<Service> => {
    const port = extraEnv.GG_WORKER_PORT ? Number(extraEnv.GG_WORKER_PORT) : await freePort();
    const id = `worker-${++nextWorker}`;
    const env = {
      GG_WORKER_PORT: String(port),
      GG_WORKER_ID: id,
      GG_MODEL_DIRS: (opts.modelDirs ?? [DEFAULT_MODEL]).join(","),
      GG_INTERNAL_SECRET: DEV_INTERNAL_SECRET,
      GG_S3_ENDPOINT: s3.endpoint,
      GG_SPOOL_DIR: join(opts.dataDir, `spool-${id}`),
      ...opts.workerEnv,
      ...extraEnv,
    };
    const { proc, output } = spawnTs("gpu-worker/src/main.ts", env, id, quiet);
    children.push(proc);
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitFor(`${url}/healthz`, proc, 120_000, id, said(output, '"event":"ready"'));
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${output.join("")}`);
    }
    const svc = { url, port, proc, env, output };
    workers.push(svc);
    return svc;
  };

  try {
    for (let i = 0; i < (opts.workers ?? 1); i++) await startWorker();
    const edgePort = opts.edgePort ?? (await freePort());
    const edgeEnv = {
      PORT: String(edgePort),
      GG_EDGE_PORT: String(edgePort),
      GG_WORKER_URLS: workers.map((w) => w.url).join(","),
      GG_JWT_SECRET: process.env.GG_JWT_SECRET || DEV_JWT_SECRET,
      GG_INTERNAL_SECRET: DEV_INTERNAL_SECRET,
      GG_LEDGER_PATH: join(opts.dataDir, "ledger.sqlite"),
      GG_DENO_KV_PATH: join(opts.dataDir, "deno-kv.sqlite"),
      ...opts.edgeEnv,
    };
    const { proc, output } =
      opts.edgeRuntime === "workerd"
        ? spawnWrangler(edgePort, edgeEnv, join(opts.dataDir, "wrangler"), quiet)
        : opts.edgeRuntime === "deno"
          ? spawnDenoEdge(edgeEnv, quiet)
          : spawnTs("edge/src/node.ts", edgeEnv, "edge", quiet);
    children.push(proc);
    const edgeUrl = `http://127.0.0.1:${edgePort}`;
    try {
      const onNode = opts.edgeRuntime !== "workerd" && opts.edgeRuntime !== "deno";
      const own = onNode ? said(output, "listening on http://") : undefined;
      await waitFor(`${edgeUrl}/healthz`, proc, 180_000, "edge", own);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${output.join("")}`);
    }
    const edge = { url: edgeUrl, port: edgePort, proc, env: edgeEnv, output };
    return {
      edgeUrl,
      edge,
      workers,
      s3,
      startWorker,
      async stop() {
        // A child killed by a signal has signalCode set and exitCode null: it has exited too.
        const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
        for (const c of running) c.kill("SIGTERM");
        await Promise.all(
          running.map(
            (c) => new Promise((r) => (c.exitCode === null && c.signalCode === null ? c.once("exit", r) : r(null))),
          ),
        );
        await s3.stop();
      },
    };
  } catch (err) {
    for (const c of children) c.kill("SIGKILL");
    await s3.stop();
    throw err;
  }
}
