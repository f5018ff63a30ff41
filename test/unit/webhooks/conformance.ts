// The behaviour every WebhookStore must share. Each store's test file calls `webhookStoreConformance` with its
// factory; a store passes only if it behaves exactly like the others.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ENDPOINT_DELETED,
  JOB_URL_TARGET,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookStore,
} from "../../../edge/src/webhooks/types.ts";

export interface StoreHandle {
  store: WebhookStore;
  close(): void;
}
export type WebhookStoreFactory = () => StoreHandle;

const T0 = Date.UTC(2026, 5, 15, 12);

const endpoint = (over: Partial<WebhookEndpoint> = {}): WebhookEndpoint => ({
  id: "we_1",
  tenant: "alice",
  url: "https://hooks.example.com/a",
  events: ["job.completed", "job.failed", "job.cancelled"],
  secret: "whsec_one",
  previous_secret: null,
  previous_secret_expires_at: null,
  created_at: T0,
  ...over,
});

const delivery = (over: Partial<WebhookDelivery> = {}): WebhookDelivery => ({
  id: "msg_1",
  tenant: "alice",
  job_id: "job_1",
  event_type: "job.completed",
  target: "we_1",
  url: "https://hooks.example.com/a",
  payload: '{"type":"job.completed"}',
  state: "pending",
  attempts: 0,
  created_at: T0,
  next_attempt_at: T0,
  last_status: null,
  last_error: null,
  ...over,
});

const failedAttempt = (attempt: number, at: number) => ({
  attempt,
  at,
  status: 500,
  error: "HTTP 500",
  duration_ms: 3,
});

export function webhookStoreConformance(name: string, make: WebhookStoreFactory): void {
  describe(`WebhookStore conformance: ${name}`, () => {
    let h: StoreHandle;
    let store: WebhookStore;
    beforeEach(() => {
      h = make();
      store = h.store;
    });
    afterEach(() => h.close());

    it("keeps endpoints per tenant, oldest first, and hides other tenants' ones", async () => {
      await store.createEndpoint(endpoint());
      await store.createEndpoint(endpoint({ id: "we_2", events: ["job.failed"], created_at: T0 + 1 }));
      await store.createEndpoint(endpoint({ id: "we_3", tenant: "bob" }));
      expect((await store.listEndpoints("alice")).map((e) => e.id)).toEqual(["we_1", "we_2"]);
      expect(await store.getEndpoint("alice", "we_2")).toEqual(
        endpoint({ id: "we_2", events: ["job.failed"], created_at: T0 + 1 }),
      );
      expect(await store.getEndpoint("alice", "we_3")).toBeNull();
      expect(await store.deleteEndpoint("alice", "we_3")).toBe(false);
      expect(await store.deleteEndpoint("bob", "we_3")).toBe(true);
      expect(await store.deleteEndpoint("bob", "we_3")).toBe(false);
      expect(await store.listEndpoints("bob")).toEqual([]);
    });

    it("rotates an endpoint's secret, keeping the old one with its expiry", async () => {
      await store.createEndpoint(endpoint());
      const r = await store.rotateEndpointSecret("alice", "we_1", "whsec_two", T0 + 1000);
      expect(r).toMatchObject({
        secret: "whsec_two",
        previous_secret: "whsec_one",
        previous_secret_expires_at: T0 + 1000,
      });
      expect(await store.getEndpoint("alice", "we_1")).toEqual(r);
      expect(await store.rotateEndpointSecret("bob", "we_1", "whsec_x", T0)).toBeNull();
    });

    it("creates a tenant secret once and rotates it", async () => {
      const first = await store.tenantSecret("alice", "whsec_a");
      expect(first).toEqual({ secret: "whsec_a", previous_secret: null, previous_secret_expires_at: null });
      expect(await store.tenantSecret("alice", "whsec_other")).toEqual(first);
      expect(await store.rotateTenantSecret("alice", "whsec_b", T0 + 5)).toEqual({
        secret: "whsec_b",
        previous_secret: "whsec_a",
        previous_secret_expires_at: T0 + 5,
      });
      expect((await store.rotateTenantSecret("bob", "whsec_c", T0)).previous_secret).toBeNull();
    });

    it("remembers a job's URL until its delivery is enqueued", async () => {
      await store.setJobUrl("alice", "job_1", "https://own.example.com", T0);
      expect(await store.jobUrl("job_1")).toBe("https://own.example.com");
      await store.enqueue([delivery({ target: JOB_URL_TARGET, url: "https://own.example.com" })]);
      expect(await store.jobUrl("job_1")).toBeNull();
    });

    it("enqueues one delivery per (job, target), however often", async () => {
      expect(await store.enqueue([delivery(), delivery({ id: "msg_2", target: JOB_URL_TARGET })])).toBe(2);
      expect(await store.enqueue([delivery({ id: "msg_3" })])).toBe(0);
      const list = await store.deliveriesForJob("alice", "job_1");
      expect(list.map((d) => d.id)).toEqual(["msg_1", "msg_2"]);
      expect(list[0]).toEqual({ ...delivery(), log: [] });
      expect(await store.deliveriesForJob("bob", "job_1")).toEqual([]);
    });

    it("claims due deliveries once per lease, oldest due first", async () => {
      await store.enqueue([
        delivery({ id: "msg_late", job_id: "job_2", next_attempt_at: T0 + 10 }),
        delivery(),
        delivery({ id: "msg_future", job_id: "job_3", next_attempt_at: T0 + 1000 }),
      ]);
      expect(await store.nextDueAt()).toBe(T0);
      const claimed = await store.claimDue(T0 + 10, 500, 10);
      expect(claimed.map((d) => d.id)).toEqual(["msg_1", "msg_late"]);
      expect(await store.claimDue(T0 + 10, 500, 10)).toEqual([]); // leased
      expect(await store.nextDueAt()).toBe(T0 + 510);
      // The lease lapsed; equal due times go in the order they were enqueued.
      expect((await store.claimDue(T0 + 510, 500, 1)).map((d) => d.id)).toEqual(["msg_late"]);
      expect((await store.claimDue(T0 + 2000, 500, 10)).map((d) => d.id)).toEqual(["msg_1", "msg_future", "msg_late"]);
    });

    it("records attempts in order and stops at delivered or failed", async () => {
      await store.enqueue([delivery()]);
      await store.recordAttempt("msg_1", { attempt: failedAttempt(1, T0), state: "pending", next_attempt_at: T0 + 50 });
      const ok = { attempt: 2, at: T0 + 50, status: 204, error: null, duration_ms: 1 };
      await store.recordAttempt("msg_1", { attempt: ok, state: "delivered", next_attempt_at: null });
      await store.recordAttempt("msg_1", {
        attempt: failedAttempt(3, T0 + 60),
        state: "failed",
        next_attempt_at: null,
      });
      const [d] = await store.deliveriesForJob("alice", "job_1");
      expect(d).toMatchObject({
        state: "delivered",
        attempts: 2,
        next_attempt_at: null,
        last_status: 204,
        last_error: null,
      });
      expect(d?.log).toEqual([failedAttempt(1, T0), ok]);
      expect(await store.nextDueAt()).toBeNull();
      expect(await store.claimDue(T0 + 1e9, 10, 10)).toEqual([]);
    });

    it("fails the pending deliveries of a deleted endpoint", async () => {
      await store.createEndpoint(endpoint());
      await store.enqueue([delivery(), delivery({ id: "msg_2", target: JOB_URL_TARGET })]);
      await store.deleteEndpoint("alice", "we_1");
      const list = await store.deliveriesForJob("alice", "job_1");
      expect(list.map((d) => [d.id, d.state, d.last_error])).toEqual([
        ["msg_1", "failed", ENDPOINT_DELETED],
        ["msg_2", "pending", null],
      ]);
    });

    it("prunes finished deliveries and stale job URLs, never pending ones", async () => {
      await store.enqueue([delivery(), delivery({ id: "msg_2", job_id: "job_2" })]);
      await store.recordAttempt("msg_1", {
        attempt: { attempt: 1, at: T0, status: 200, error: null, duration_ms: 1 },
        state: "delivered",
        next_attempt_at: null,
      });
      await store.setJobUrl("alice", "job_9", "https://own.example.com", T0);
      await store.prune(T0 + 1);
      expect(await store.deliveriesForJob("alice", "job_1")).toEqual([]);
      expect((await store.deliveriesForJob("alice", "job_2")).length).toBe(1);
      expect(await store.jobUrl("job_9")).toBeNull();
      expect(await store.enqueue([delivery({ id: "msg_again" })])).toBe(1); // a pruned pair may be enqueued again
    });
  });
}
