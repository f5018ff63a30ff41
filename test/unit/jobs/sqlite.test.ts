// The SQLite JobStore against the shared JobStore conformance suite, reopened on the same file for persistence.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSqliteJobStore } from "../../../edge/src/jobs/sqlite.ts";
import { jobStoreConformance } from "../../support/job-store-conformance.ts";

jobStoreConformance("sqlite", async (limits) => {
  const dir = mkdtempSync(join(tmpdir(), "gg-jobs-"));
  const path = join(dir, "jobs.sqlite");
  const opened = [createSqliteJobStore(path, limits)];
  return {
    store: opened[0]!,
    async reopen() {
      opened.at(-1)!.close(); // the first process is gone before the second opens the file
      const next = createSqliteJobStore(path, limits);
      opened.push(next);
      return next;
    },
    close() {
      for (const s of opened) {
        try {
          s.close();
        } catch {
          // closed by reopen()
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
