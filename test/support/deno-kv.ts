// Deno KV under vitest: @deno/kv (Deno's own KV engine for Node, the same SQLite format Deno writes) on a file
// in a fresh temp dir, opened once per test file. Each store set a suite makes takes its own key prefix, so
// every one starts empty, as a fresh file would.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openKv } from "@deno/kv";
import { afterAll, beforeAll } from "vitest";
import type { Kv, KvKey } from "../../edge/src/kv/kv.ts";

/** Opens a KV file before the file's tests and closes it after; the getter gives it to factories. */
export function useDenoKv(): { kv: () => Kv; path: () => string } {
  let dir = "";
  let kv: Kv | null = null;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "guidegate-kv-"));
    kv = await openKv(join(dir, "kv.sqlite"));
  });
  afterAll(() => {
    kv?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    kv: () => {
      if (!kv) throw new Error("useDenoKv: the KV opens in beforeAll; call the getter from a test or a hook");
      return kv;
    },
    path: () => join(dir, "kv.sqlite"),
  };
}

/** Opens (another connection to) the KV file at `path`. */
export const openKvFile = (path: string): Promise<Kv> => openKv(path);

let prefixes = 0;
/** A key prefix no other store set in this process has used. */
export const freshPrefix = (): KvKey => ["test", process.pid, ++prefixes];
