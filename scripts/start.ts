// `npm start`: the whole local stack on this machine (s3rver, one CPU gpu-worker with the embedded
// model, the edge), a ready curl line; Ctrl-C, SIGTERM or the end of whatever started it stops everything.
// Ports and folders: scripts/lib/local-env.ts (GG_EDGE_PORT or PORT, GG_S3_PORT, GG_DATA_DIR).
import { relative } from "node:path";
import { mintDevToken } from "../edge/src/auth/dev-token.ts";
import {
  BadSettingError,
  DEFAULT_EDGE_PORT,
  DEFAULT_S3_PORT,
  dataDir,
  edgePort,
  edgeUrlFor,
  s3Port,
} from "./lib/local-env.ts";
import { watchParent } from "./lib/parent-watch.ts";
import { type EdgeRuntime, PortInUseError, portIsFree, ROOT, type Stack, startStack } from "@guidegate/stack";

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

let ports: { edge: number; s3: number };
try {
  ports = { edge: edgePort(), s3: s3Port() };
} catch (err) {
  if (err instanceof BadSettingError) fail(`npm start: ${err.message}`);
  throw err;
}
const runtime = (process.env.GG_EDGE_RUNTIME || "node") as EdgeRuntime;
if (!["node", "workerd", "deno"].includes(runtime)) {
  fail(`npm start: GG_EDGE_RUNTIME must be node, workerd or deno, got "${runtime}"`);
}
const data = dataDir(ROOT);
const shown = (p: string) => (relative(ROOT, p).startsWith("..") ? p : relative(ROOT, p) || ".");

let stack: Stack | null = null;
let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  if (!stack) process.exit(code); // still starting: the services it spawned follow this process out
  console.log("\nstopping...");
  await stack.stop();
  process.exit(code);
};
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));
process.on("SIGHUP", () => void shutdown(0));
// A process manager may signal only the top process (npm), and npm's `sh -c` passes nothing on; or the
// launcher may be SIGKILLed. Either way this process is left behind: then it stops too.
watchParent(() => void shutdown(0), { throughShell: Boolean(process.env.npm_lifecycle_event) });

/** A free port near `from` for the message about a taken one, never one the stack is about to use. */
async function suggestPort(from: number): Promise<number | null> {
  for (let p = from + 1; p < from + 50 && p <= 65535; p++) {
    if (p === ports.edge || p === ports.s3 || p === DEFAULT_S3_PORT) continue;
    if (await portIsFree(p)) return p;
  }
  return null;
}

try {
  stack = await startStack({
    dataDir: data,
    edgeRuntime: runtime,
    edgePort: ports.edge,
    s3Port: ports.s3,
    workers: Number(process.env.GG_WORKERS ?? 1),
    quiet: process.env.GG_VERBOSE !== "1",
  });
} catch (err) {
  if (err instanceof PortInUseError) {
    const variable = err.service === "gateway" ? "GG_EDGE_PORT" : "GG_S3_PORT";
    const other = await suggestPort(err.port);
    fail(
      `npm start: port ${err.port} (${err.service}) is already in use, perhaps by another \`npm start\`.\n` +
        `Stop that process, or choose another port with ${variable}${err.service === "gateway" ? " (or PORT)" : ""}, ` +
        `e.g. ${variable}=${other ?? err.port + 1} npm start`,
    );
  }
  fail(`npm start: the stack did not start: ${err instanceof Error ? err.message : String(err)}`);
}
if (stopping) process.exit(0);

const token = await mintDevToken({
  sub: "alice",
  tier: "pro",
  ttlSec: 7 * 24 * 3600,
  secret: process.env.GG_JWT_SECRET || undefined,
});
const url = stack.edgeUrl;
// `npm run gen` finds the gateway through the same rules (GG_EDGE_PORT or PORT); say so when it would not.
const genUrl = ports.edge === DEFAULT_EDGE_PORT ? "" : ` --url ${edgeUrlFor(ports.edge)}`;
console.log(`
guidegate is running
  gateway     ${url}   (playground at ${url}/, API reference at ${url}/docs${runtime === "node" ? "" : `; ${runtime}`})
  gpu-worker  ${stack.workers.map((w) => w.url).join(", ")}   (CPU, model shapes-32)
  s3 (s3rver) ${stack.s3.endpoint}   data in ${shown(data)} (delete it to start afresh)

Try it (a development token for tenant "alice" on tier "pro", valid 7 days):

curl -s ${url}/v1/images/generations \\
  -H "Authorization: Bearer ${token}" \\
  -H "Content-Type: application/json" \\
  -d '{"prompt": "a large red circle on a blue background", "seed": 7}'

or: npm run gen -- "a small yellow triangle on a purple background" --out out.png${genUrl}
Ctrl-C stops everything.
`);

for (const svc of [stack.edge, ...stack.workers]) {
  svc.proc.on("exit", (code, signal) => {
    if (!stopping) {
      console.error(`a service exited unexpectedly (${signal ?? `code ${code}`}):\n${svc.output.join("")}`);
      void shutdown(1);
    }
  });
}
