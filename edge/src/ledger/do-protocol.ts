// The wire between the edge and the TenantLedger Durable Object: POST <origin>/<op> with a JSON array of
// arguments; 200 with the JSON result, or 400/500 with {error: {name, message}}. Plain fetch instead of DO RPC
// so neither side imports `cloudflare:workers` and both load (and test) under Node as well.

export const TENANT_LEDGER_ORIGIN = "https://tenant-ledger.internal";

export type TenantLedgerOp = "reserve" | "settle" | "void" | "usage" | "get" | "begin" | "finish" | "release" | "take";

/** What the client needs of a Durable Object stub; Cloudflare's `DurableObjectStub` satisfies it. */
export interface TenantLedgerStub {
  fetch(
    input: string,
    init: { method: string; headers: Record<string, string>; body: string },
  ): Promise<{ status: number; json(): Promise<unknown> }>;
}

/** What the client needs of the namespace binding; Cloudflare's `DurableObjectNamespace` satisfies it. */
export interface TenantLedgerNamespace<Id = unknown> {
  idFromName(name: string): Id;
  get(id: Id): TenantLedgerStub;
}

/** One call to the object named `route`; rethrows the object's RangeError as a RangeError. */
export async function callTenantLedger<T>(
  ns: TenantLedgerNamespace,
  route: string,
  op: TenantLedgerOp,
  args: unknown[],
): Promise<T> {
  const stub = ns.get(ns.idFromName(route));
  const res = await stub.fetch(`${TENANT_LEDGER_ORIGIN}/${op}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(args),
  });
  const body = await res.json();
  if (res.status === 200) return body as T;
  const err = (body as { error?: { name?: string; message?: string } } | null)?.error;
  const message = `TenantLedger ${op}: ${err?.message ?? `status ${res.status}`}`;
  throw err?.name === "RangeError" ? new RangeError(message) : new Error(message);
}
