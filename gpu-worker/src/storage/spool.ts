// The local spool: finished images wait here on disk while the object store is unreachable, so a
// store outage (or a worker restart during one) never loses an image. One entry = data + meta file.
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface SpoolEntry {
  id: string; // sha256 of the key: file names never contain tenant-controlled text
  key: string;
  contentType: string;
  queuedAt: number;
}

export class Spool {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private path(id: string, ext: "bin" | "json"): string {
    return join(this.dir, `${id}.${ext}`);
  }

  /** Store an image durably; the meta file is renamed into place last, so a listed entry is complete. */
  async add(key: string, body: Uint8Array, contentType: string): Promise<SpoolEntry> {
    const id = createHash("sha256").update(key).digest("hex");
    const entry: SpoolEntry = { id, key, contentType, queuedAt: Date.now() };
    await writeFile(`${this.path(id, "bin")}.tmp`, body);
    await rename(`${this.path(id, "bin")}.tmp`, this.path(id, "bin"));
    await writeFile(`${this.path(id, "json")}.tmp`, JSON.stringify(entry));
    await rename(`${this.path(id, "json")}.tmp`, this.path(id, "json"));
    return entry;
  }

  /** Complete entries, oldest first (unreadable ones are skipped, not deleted). */
  async list(): Promise<SpoolEntry[]> {
    const names = (await readdir(this.dir)).filter((n) => /^[0-9a-f]{64}\.json$/.test(n));
    const entries: SpoolEntry[] = [];
    for (const name of names) {
      try {
        const e = JSON.parse(await readFile(join(this.dir, name), "utf8")) as SpoolEntry;
        await stat(this.path(e.id, "bin"));
        entries.push(e);
      } catch {
        // half-written by a crash mid-add: the job that wrote it never completed
      }
    }
    return entries.sort((a, b) => a.queuedAt - b.queuedAt);
  }

  async read(e: SpoolEntry): Promise<Uint8Array> {
    return new Uint8Array(await readFile(this.path(e.id, "bin")));
  }

  async remove(e: SpoolEntry): Promise<void> {
    await rm(this.path(e.id, "json"), { force: true });
    await rm(this.path(e.id, "bin"), { force: true });
  }
}
