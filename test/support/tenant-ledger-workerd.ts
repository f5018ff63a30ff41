// Runs the real TenantLedger Durable Object in workerd (wrangler's local runtime) for the ledger and rate-limit
// suites, and hands out namespaces whose stubs forward each RPC call to it (tenant-ledger-workerd/worker.ts).
// Each namespace salts the object names, so every store a suite makes starts from empty objects.
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { unstable_startWorker } from "wrangler";
import type { LedgerObject } from "../../edge/src/ledger/durable-object-client.ts";
import type { QuotaObject } from "../../edge/src/quotas/durable-object.ts";
import type { RateLimitObject } from "../../edge/src/ratelimit/durable-object.ts";
import type { KeyObject } from "../../edge/src/apikeys/durable-object.ts";
import type { AuditObject } from "../../edge/src/audit/durable-object.ts";
import type { TierObject } from "../../edge/src/tiers/override-sql.ts";
import { decode, encode } from "./tenant-ledger-workerd/wire.ts";

type Call = (name: string, method: string, args: unknown[], priceless: boolean) => Promise<unknown>;

/** What both clients call; any other method name is forwarded too (the object refuses it). */
export type TenantLedgerStub = LedgerObject & RateLimitObject & QuotaObject & KeyObject & AuditObject & TierObject;

export interface WorkerdNamespace {
  idFromName(name: string): string;
  /** A stub whose every method is an RPC call on the object `id`, as a DurableObjectStub's are. */
  get(id: string): TenantLedgerStub;
  /** The object names asked for so far (one per tenant routing key), unsalted. */
  names(): string[];
}

const rethrow = (e: { name: string; message: string }): never => {
  const Ctor = e.name === "RangeError" ? RangeError : e.name === "TypeError" ? TypeError : Error;
  throw new Ctor(e.message);
};

let salts = 0;

/** A namespace over the running object class (or its priceless twin); fresh objects each time. */
function namespaceOver(call: Call, priceless: boolean): WorkerdNamespace {
  const salt = `${process.pid}.${++salts}.${Date.now()}`;
  const names = new Set<string>();
  return {
    idFromName(name) {
      names.add(name);
      return `${salt}/${name}`;
    },
    get: (id) =>
      new Proxy({} as TenantLedgerStub, {
        get: (_t, method) =>
          typeof method === "string" && method !== "then"
            ? (...args: unknown[]) => call(id, method, args, priceless)
            : undefined,
      }),
    names: () => [...names],
  };
}

export interface TenantLedgerWorkerd {
  /** `priceless`: objects whose storage holds test/support/priceless-ledger.ts's rows before the class opens it. */
  namespace(options?: { priceless?: boolean }): WorkerdNamespace;
}

/**
 * Starts workerd before the file's tests and stops it after; call at the top level of a test file. The handle's
 * namespace() may be called once the tests run (in hooks and tests), not while the file is being collected.
 */
export function useTenantLedgerWorkerd(): TenantLedgerWorkerd {
  let worker: Awaited<ReturnType<typeof unstable_startWorker>> | null = null;
  let call: Call | null = null;
  beforeAll(async () => {
    worker = await unstable_startWorker({
      config: join(import.meta.dirname, "tenant-ledger-workerd", "wrangler.toml"),
      dev: {
        persist: false,
        inspector: false,
        watch: false,
        logLevel: "warn",
        server: { hostname: "127.0.0.1", port: 0 },
      },
    });
    await worker.ready;
    const url = new URL("/call", await worker.url).href;
    call = async (name, method, args, priceless) => {
      const body = encode(priceless ? { name, method, args, priceless } : { name, method, args });
      const res = await fetch(url, { method: "POST", body });
      if (res.status !== 200) throw new Error(`harness answered ${res.status}: ${await res.text()}`);
      const out = decode(await res.text()) as { result?: unknown; error?: { name: string; message: string } };
      return out.error ? rethrow(out.error) : out.result;
    };
  }, 120_000);
  afterAll(async () => {
    await worker?.dispose();
  });
  return {
    namespace(options = {}) {
      if (!call) throw new Error("useTenantLedgerWorkerd: workerd is not running yet (use it inside hooks/tests)");
      return namespaceOver(call, options.priceless ?? false);
    },
  };
}
