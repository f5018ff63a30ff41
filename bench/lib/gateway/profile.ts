// Summarise a `node --cpu-prof` profile (bench:gateway's PROFILE=<dir>): self time by function and by
// where the code lives (a package under node_modules, node's internals, our own source), so a change can be
// aimed at what costs. `tsx bench/lib/gateway/profile.ts <file.cpuprofile> [top]`.
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: the package, node's own code, ours, or the engine. */
function placeOf(url: string): string {
  if (!url) return "(engine: gc, idle, native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  // node:internal/<area>/... by area: fetch (deps/undici), webstreams, crypto, streams, ...
  if (url.startsWith("node:internal/deps/")) return `node:${url.split("/").slice(0, 3).join("/").slice(5)}`;
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/").slice(0, 2).join("/")}`;
  const ours = /\/(edge|shared|gpu-worker|bench|scripts)\/src?\/?([^/]+)?/.exec(url);
  return ours ? `${ours[1]}/${ours[2] ?? ""}` : url;
}

function selfTimes(p: Profile): Map<number, number> {
  const ms = new Map<number, number>();
  p.samples.forEach((id, i) => {
    ms.set(id, (ms.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  return ms;
}

function top(rows: Map<string, number>, total: number, n: number): string[] {
  return [...rows.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${v.toFixed(0).padStart(6)} ms  ${k}`);
}

const [file, n = "25"] = process.argv.slice(2);
if (!file) throw new Error("usage: profile.ts <file.cpuprofile> [top]");
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const self = selfTimes(profile);
const byFunction = new Map<string, number>();
const byPlace = new Map<string, number>();
let total = 0;
let idle = 0;
for (const node of profile.nodes) {
  const ms = self.get(node.id) ?? 0;
  const f = node.callFrame;
  if (f.functionName === "(idle)") {
    idle += ms;
    continue;
  }
  total += ms;
  const where = f.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*?\/(edge|shared|bench|scripts)\//, "$1/");
  const key = `${f.functionName || "(anonymous)"} ${where}:${f.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
  byPlace.set(placeOf(f.url), (byPlace.get(placeOf(f.url)) ?? 0) + ms);
}
console.log(`busy ${total.toFixed(0)} ms, idle ${idle.toFixed(0)} ms`);
console.log("by place:");
for (const line of top(byPlace, total, Number(n))) console.log(line);
console.log("by function (self time):");
for (const line of top(byFunction, total, Number(n))) console.log(line);
