import { describe, expect, it } from "vitest";
import { createKvWebhookStore } from "../../../edge/src/kv/webhooks.ts";
import { freshPrefix, openKvFile, useDenoKv } from "../../support/deno-kv.ts";
import { webhookStoreConformance } from "./conformance.ts";

const denoKv = useDenoKv();
webhookStoreConformance("deno-kv", () => ({
  store: createKvWebhookStore(denoKv.kv(), freshPrefix()),
  close: () => {},
}));

describe("deno-kv webhook outbox", () => {
  it("keeps endpoints, pending deliveries and their logs across a reopen of the file", async () => {
    const prefix = freshPrefix();
    const first = await openKvFile(denoKv.path());
    const a = createKvWebhookStore(first, prefix);
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
    first.close();
    const second = await openKvFile(denoKv.path());
    try {
      const b = createKvWebhookStore(second, prefix);
      expect((await b.listEndpoints("t")).map((e) => e.events)).toEqual([["job.failed"]]);
      expect(await b.nextDueAt()).toBe(50);
      const [again] = await b.claimDue(50, 10, 5);
      expect(again).toMatchObject({ id: "msg_1", attempts: 1, last_error: "request failed: ECONNREFUSED" });
      expect(await b.claimDue(50, 10, 5)).toEqual([]); // leased
    } finally {
      second.close();
    }
  });
});
