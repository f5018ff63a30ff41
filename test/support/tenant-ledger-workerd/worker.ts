// A test-only Worker around the real TenantLedger Durable Object, run by workerd (wrangler) for the ledger and
// rate-limit suites: POST /call {name, method, args} makes the Workers RPC call `stub[method](...args)` on the
// object named `name` and answers {result} or {error: {name, message}}. Only this hop (Node -> workerd) is JSON;
// the call itself is the production path: RPC into the class, its SQLite storage and transactionSync.
// With `priceless: true` the call goes to a PricelessTenantLedger instead: the same class, whose storage already
// holds a ledger from before prices were recorded when the real constructor (and so its migration) runs.
import type { DurableObjectNamespace, DurableObjectState } from "@cloudflare/workers-types";
import { TenantLedger } from "../../../edge/src/durable/tenant-ledger.ts";
import { PRICELESS_SEED } from "../priceless-ledger.ts";
import { decode, encode } from "./wire.ts";

export { TenantLedger };

export class PricelessTenantLedger extends TenantLedger {
  constructor(ctx: DurableObjectState, env: unknown) {
    for (const stmt of PRICELESS_SEED) ctx.storage.sql.exec(stmt); // an object deployed before the price column
    super(ctx, env);
  }
}

interface Env {
  TENANT_LEDGER: DurableObjectNamespace<TenantLedger>;
  PRICELESS_TENANT_LEDGER: DurableObjectNamespace<PricelessTenantLedger>;
}

type AnyStub = Record<string, (...args: unknown[]) => Promise<unknown>>;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (request.method !== "POST" || new URL(request.url).pathname !== "/call")
      return new Response("not found", { status: 404 });
    const call = decode(await request.text()) as { name: string; method: string; args: unknown[]; priceless?: true };
    const { name, method, args } = call;
    const ns = call.priceless ? env.PRICELESS_TENANT_LEDGER : env.TENANT_LEDGER;
    try {
      const stub = ns.get(ns.idFromName(name)) as unknown as AnyStub;
      const result = await stub[method]!(...args);
      return new Response(encode({ result }));
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      return new Response(encode({ error: { name: err.name, message: err.message } }));
    }
  },
};
