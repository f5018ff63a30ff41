// A test-only Worker around the real TenantLedger Durable Object, run by workerd (wrangler) for the ledger and
// rate-limit suites: POST /call {name, method, args} makes the Workers RPC call `stub[method](...args)` on the
// object named `name` and answers {result} or {error: {name, message}}. Only this hop (Node -> workerd) is JSON;
// the call itself is the production path: RPC into the class, its SQLite storage and transactionSync.
import type { DurableObjectNamespace } from "@cloudflare/workers-types";
import type { TenantLedger } from "../../../edge/src/durable/tenant-ledger.ts";
import { decode, encode } from "./wire.ts";

export { TenantLedger } from "../../../edge/src/durable/tenant-ledger.ts";

interface Env {
  TENANT_LEDGER: DurableObjectNamespace<TenantLedger>;
}

type AnyStub = Record<string, (...args: unknown[]) => Promise<unknown>>;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (request.method !== "POST" || new URL(request.url).pathname !== "/call")
      return new Response("not found", { status: 404 });
    const { name, method, args } = decode(await request.text()) as { name: string; method: string; args: unknown[] };
    try {
      const stub = env.TENANT_LEDGER.get(env.TENANT_LEDGER.idFromName(name)) as unknown as AnyStub;
      const result = await stub[method]!(...args);
      return new Response(encode({ result }));
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      return new Response(encode({ error: { name: err.name, message: err.message } }));
    }
  },
};
