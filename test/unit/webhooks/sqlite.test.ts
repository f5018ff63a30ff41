import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createSqliteWebhookStore } from "../../../edge/src/webhooks/sqlite.ts";
import { webhookStoreConformance } from "./conformance.ts";

function sqliteStore() {
  const dir = mkdtempSync(join(tmpdir(), "guidegate-webhooks-"));
  const store = createSqliteWebhookStore(join(dir, "webhooks.sqlite"));
  return {
    store,
    close: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

webhookStoreConformance("sqlite", sqliteStore);

describe("sqlite webhook outbox file", () => {
  it("keeps endpoints, pending deliveries and their logs across reopen", async () => {
    const dir = mkdtempSync(join(tmpdir(), "guidegate-webhooks-"));
    try {
      const path = join(dir, "webhooks.sqlite");
      const a = createSqliteWebhookStore(path);
      await a.createEndpoint({
        id: "we_1",
        tenant: "t",
        url: "https://x.example.com",
        events: ["job.failed"],
        secret: "whsec_s",
        previous_secret: null,
        previous_secret_expires_at: null,
        created_at: 1,
      });
      const d = { id: "msg_1", tenant: "t", job_id: "job_1", event_type: "job.failed" as const, target: "we_1" };
      await a.enqueue([
        {
          ...d,
          url: "https://x.example.com",
          payload: "{}",
          state: "pending",
          attempts: 0,
          created_at: 1,
          next_attempt_at: 1,
          last_status: null,
          last_error: null,
        },
      ]);
      await a.recordAttempt("msg_1", {
        attempt: { attempt: 1, at: 2, status: null, error: "request failed: ECONNREFUSED", duration_ms: 1 },
        state: "pending",
        next_attempt_at: 50,
      });
      a.close();
      const b = createSqliteWebhookStore(path);
      expect((await b.listEndpoints("t")).map((e) => e.events)).toEqual([["job.failed"]]);
      expect(await b.nextDueAt()).toBe(50);
      const [again] = await b.claimDue(50, 10, 5);
      expect(again).toMatchObject({ id: "msg_1", attempts: 1, last_error: "request failed: ECONNREFUSED" });
      b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
