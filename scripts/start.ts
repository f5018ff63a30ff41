// `npm start`: the whole local stack on this machine (s3rver, one CPU gpu-worker with the
// embedded model, the edge on Node at :8787), a ready curl line, Ctrl-C stops everything.
import { join } from "node:path";
import { mintDevToken } from "../edge/src/auth/dev-token.ts";
import { ROOT, startStack } from "./lib/stack.ts";

const port = Number(process.env.GG_EDGE_PORT ?? 8787);
const stack = await startStack({
  dataDir: join(ROOT, ".data"),
  edgePort: port,
  workers: Number(process.env.GG_WORKERS ?? 1),
  quiet: process.env.GG_VERBOSE !== "1",
});
const token = await mintDevToken({ sub: "alice", tier: "pro", ttlSec: 7 * 24 * 3600, secret: process.env.GG_JWT_SECRET || undefined });
console.log(`
guidegate is running
  gateway     ${stack.edgeUrl}   (playground at ${stack.edgeUrl}/, API reference at ${stack.edgeUrl}/docs)
  gpu-worker  ${stack.workers.map((w) => w.url).join(", ")}   (CPU, model shapes-32)
  s3 (s3rver) ${stack.s3.endpoint}   data in .data/s3

Try it (a development token for tenant "alice" on tier "pro", valid 7 days):

curl -s ${stack.edgeUrl}/v1/images/generations \\
  -H "Authorization: Bearer ${token}" \\
  -H "Content-Type: application/json" \\
  -d '{"prompt": "a large red circle on a blue background", "seed": 7}'

or: npm run gen -- "a small yellow triangle on a purple background" --out out.png
Ctrl-C stops everything.
`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  console.log("\nstopping...");
  await stack.stop();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
for (const svc of [stack.edge, ...stack.workers]) {
  svc.proc.on("exit", (code) => {
    if (!stopping) {
      console.error(`a service exited unexpectedly (code ${code}):\n${svc.output.join("")}`);
      void shutdown();
    }
  });
}
