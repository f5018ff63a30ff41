// A WebhookStore on Deno KV, so the Deno edge's endpoints, secrets and outbox survive a restart: a delivery
// pending when the edge stopped is attempted again when it starts. Keys, under the stores' prefix:
//   wh/ep/<id>, wh/epby/<tenant>/<created_at>/<id>     endpoints, and a tenant's oldest first
//   wh/secret/<tenant>                                 the tenant's signing secrets for job URLs
//   wh/joburl/<job>, wh/jobage/<created_at>/<job>      per-job URLs, and by age for prune
//   wh/dl/<id>, wh/log/<id>/<attempt>                  deliveries (with their enqueue order) and their attempts
//   wh/order                                           the last enqueue order given
//   wh/target/<job>/<target>                           one delivery per (job, target)
//   wh/byjob/<tenant>/<job>/<created_at>/<order>       a job's deliveries, oldest first
//   wh/due/<next_attempt_at>/<order>                   pending deliveries, soonest due first, then as enqueued
//   wh/done/<created_at>/<order>                       delivered or failed ones, for prune
// Each change that reads before it writes is a transact()ion, so two delivery loops never claim one delivery.
import {
  type AttemptOutcome,
  type DeliveryAttempt,
  type DeliveryWithAttempts,
  ENDPOINT_DELETED,
  type SigningSecrets,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookStore,
} from "../webhooks/types.ts";
import { type Kv, type KvAtomic, type KvKey, listAll, transact } from "./kv.ts";

/** A delivery as stored: with the order it was enqueued in, which breaks ties as SQL's rowid does. */
interface Stored {
  d: WebhookDelivery;
  order: number;
}

interface JobUrl {
  tenant: string;
  url: string;
  created_at: number;
}

export function createKvWebhookStore(kv: Kv, prefix: KvKey): WebhookStore {
  const k = (...parts: (string | number)[]): KvKey => [...prefix, "wh", ...parts];
  const epKey = (id: string) => k("ep", id);
  const epByKey = (e: WebhookEndpoint) => k("epby", e.tenant, e.created_at, e.id);
  const dlKey = (id: string) => k("dl", id);
  const dueKey = (s: Stored) => k("due", s.d.next_attempt_at ?? 0, s.order);
  const doneKey = (s: Stored) => k("done", s.d.created_at, s.order);
  const byJobKey = (s: Stored) => k("byjob", s.d.tenant, s.d.job_id, s.d.created_at, s.order);

  const owned = async (tenant: string, id: string) => {
    const found = await kv.get<WebhookEndpoint>(epKey(id));
    return found.value?.tenant === tenant ? found : null;
  };

  /** Writes `next` over `prev` (a pending delivery), keeping the due and done indexes in step. */
  const moveDelivery = (op: KvAtomic, prev: Stored, next: Stored): KvAtomic => {
    op.delete(dueKey(prev)).set(dlKey(next.d.id), next);
    return next.d.state === "pending" ? op.set(dueKey(next), next.d.id) : op.set(doneKey(next), next.d.id);
  };

  /** Changes one delivery if it is still pending; `change` says how, or null for not at all. */
  const updatePending = (
    id: string,
    change: (d: WebhookDelivery) => WebhookDelivery | null,
    extra?: (op: KvAtomic) => void,
  ) =>
    transact(async () => {
      const found = await kv.get<Stored>(dlKey(id));
      const next = found.value?.d.state === "pending" ? change(found.value.d) : null;
      if (found.value === null || next === null) return { op: null, result: null };
      const op = moveDelivery(kv.atomic().check(found), found.value, { d: next, order: found.value.order });
      extra?.(op);
      return { op, result: next };
    });

  const forgetJobUrl = async (op: KvAtomic, jobId: string): Promise<{ key: KvKey; versionstamp: string | null }> => {
    const found = await kv.get<JobUrl>(k("joburl", jobId));
    if (found.value !== null) op.delete(found.key).delete(k("jobage", found.value.created_at, jobId));
    return found;
  };

  return {
    async createEndpoint(endpoint) {
      await kv.atomic().set(epKey(endpoint.id), endpoint).set(epByKey(endpoint), endpoint.id).commit();
    },
    async listEndpoints(tenant) {
      const ids = await listAll<string>(kv, { prefix: k("epby", tenant) });
      const found = await Promise.all(ids.map((e) => kv.get<WebhookEndpoint>(epKey(e.value))));
      return found.flatMap((e) => (e.value ? [e.value] : []));
    },
    async getEndpoint(tenant, id) {
      return (await owned(tenant, id))?.value ?? null;
    },
    async deleteEndpoint(tenant, id) {
      const found = await owned(tenant, id);
      if (!found) return false;
      await kv.atomic().check(found).delete(epKey(id)).delete(epByKey(found.value!)).commit();
      for (const e of await listAll<string>(kv, { prefix: k("due") })) {
        await updatePending(e.value, (d) =>
          d.target === id ? { ...d, state: "failed", next_attempt_at: null, last_error: ENDPOINT_DELETED } : null,
        );
      }
      return true;
    },
    async rotateEndpointSecret(tenant, id, secret, previousExpiresAt) {
      return transact(async () => {
        const found = await owned(tenant, id);
        if (!found) return { op: null, result: null };
        const e = found.value!;
        const next = { ...e, previous_secret: e.secret, previous_secret_expires_at: previousExpiresAt, secret };
        return { op: kv.atomic().check(found).set(epKey(id), next), result: next };
      });
    },
    async tenantSecret(tenant, fresh) {
      return transact(async () => {
        const found = await kv.get<SigningSecrets>(k("secret", tenant));
        if (found.value !== null) return { op: null, result: found.value };
        const s: SigningSecrets = { secret: fresh, previous_secret: null, previous_secret_expires_at: null };
        return { op: kv.atomic().check(found).set(found.key, s), result: s };
      });
    },
    async rotateTenantSecret(tenant, secret, previousExpiresAt) {
      return transact(async () => {
        const found = await kv.get<SigningSecrets>(k("secret", tenant));
        const s: SigningSecrets = found.value
          ? { secret, previous_secret: found.value.secret, previous_secret_expires_at: previousExpiresAt }
          : { secret, previous_secret: null, previous_secret_expires_at: null };
        return { op: kv.atomic().check(found).set(found.key, s), result: s };
      });
    },
    async setJobUrl(tenant, jobId, url, now) {
      await transact(async () => {
        const op = kv.atomic();
        const found = await forgetJobUrl(op, jobId);
        const u: JobUrl = { tenant, url, created_at: now };
        op.check(found)
          .set(k("joburl", jobId), u)
          .set(k("jobage", now, jobId), jobId);
        return { op, result: undefined };
      });
    },
    async jobUrl(jobId) {
      return (await kv.get<JobUrl>(k("joburl", jobId))).value?.url ?? null;
    },
    async enqueue(list) {
      let added = 0;
      for (const d of list) {
        const isNew = await transact(async () => {
          const op = kv.atomic();
          const url = await forgetJobUrl(op, d.job_id);
          const [target, last] = await kv.getMany<[string, number]>([k("target", d.job_id, d.target), k("order")]);
          op.check(url, target);
          if (target.value === null) {
            const row: Stored = { d: { ...d }, order: (last.value ?? 0) + 1 };
            op.check(last).set(last.key, row.order).set(target.key, d.id).set(dlKey(d.id), row);
            op.set(byJobKey(row), d.id).set(d.state === "pending" ? dueKey(row) : doneKey(row), d.id);
          }
          return { op, result: target.value === null };
        });
        if (isNew) added++;
      }
      return added;
    },
    async claimDue(now, leaseMs, limit) {
      const claimed: WebhookDelivery[] = [];
      for await (const e of kv.list<string>({ prefix: k("due") })) {
        if (claimed.length >= limit || (e.key[e.key.length - 2] as number) > now) break;
        const d = await updatePending(e.value, (d) =>
          (d.next_attempt_at ?? 0) <= now ? { ...d, next_attempt_at: now + leaseMs } : null,
        );
        if (d) claimed.push(d);
      }
      return claimed;
    },
    async recordAttempt(id, o: AttemptOutcome) {
      await updatePending(
        id,
        (d) => ({
          ...d,
          state: o.state,
          attempts: o.attempt.attempt,
          next_attempt_at: o.next_attempt_at,
          last_status: o.attempt.status,
          last_error: o.attempt.error,
        }),
        (op) => op.set(k("log", id, o.attempt.attempt), { ...o.attempt }),
      );
    },
    async nextDueAt() {
      const [first] = await listAll<string>(kv, { prefix: k("due") }, 1);
      return first ? (first.key[first.key.length - 2] as number) : null;
    },
    async deliveriesForJob(tenant, jobId): Promise<DeliveryWithAttempts[]> {
      const ids = await listAll<string>(kv, { prefix: k("byjob", tenant, jobId) });
      const out: DeliveryWithAttempts[] = [];
      for (const e of ids) {
        const d = (await kv.get<Stored>(dlKey(e.value))).value?.d;
        if (!d) continue;
        const log = await listAll<DeliveryAttempt>(kv, { prefix: k("log", d.id) });
        out.push({ ...d, log: log.map((a) => a.value) });
      }
      return out;
    },
    async prune(before) {
      for (const e of await listAll<string>(kv, { start: k("done"), end: k("done", before) })) {
        const s = (await kv.get<Stored>(dlKey(e.value))).value;
        const op = kv.atomic().delete(e.key).delete(dlKey(e.value));
        if (s) op.delete(k("target", s.d.job_id, s.d.target)).delete(byJobKey(s));
        for (const a of await listAll(kv, { prefix: k("log", e.value) })) op.delete(a.key);
        await op.commit();
      }
      for (const e of await listAll<string>(kv, { start: k("jobage"), end: k("jobage", before) })) {
        await kv.atomic().delete(e.key).delete(k("joburl", e.value)).commit();
      }
    },
  };
}
