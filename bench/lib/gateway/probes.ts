// What bench:gateway reads besides latency: CPU time the serving processes spent (from /proc, so it does not
// depend on how many other processes share the cores), and how long the disk under the ledger takes to flush.
import { closeSync, fdatasync, openSync, readdirSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { quantile } from "./load.ts";

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** User + system CPU ms of `pids` (all their threads), or NaN where /proc cannot say. */
export function cpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // field 3 onwards
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      return Number.NaN;
    }
  }
  return ticks * TICK_MS;
}

/** `pid` and its children (nginx's workers under its master). */
export function withChildren(pid: number): number[] {
  const kids: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) kids.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return [pid, ...kids];
}

/** p50 and p99 of writing 4 KiB and fdatasync-ing it in `dir`: the floor of a durable settle at c=1. */
export async function diskFlushMs(dir: string, samples = 200): Promise<{ p50: number; p99: number }> {
  const path = join(dir, "flush-probe");
  const fd = openSync(path, "w");
  const sync = promisify(fdatasync);
  const page = Buffer.alloc(4096, 1);
  const ms: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      writeSync(fd, page, 0, page.length, (i % 64) * page.length);
      const t0 = performance.now();
      await sync(fd);
      ms.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
  return { p50: quantile(ms, 0.5), p99: quantile(ms, 0.99) };
}
