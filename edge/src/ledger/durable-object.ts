// The TenantLedger Durable Object: one per tenant routing key (ids.ts), holding that tenant's reservations,
// period totals, idempotency keys and rate bucket in its SQLite storage (`ctx.storage.sql`). Each request runs
// synchronously inside `transactionSync` after the body is read, so no other request interleaves with it.
// Deploy as a SQLite-backed class: wrangler `migrations: [{ tag: "v1", new_sqlite_classes: ["TenantLedger"] }]`.
import { SqlRateCore } from "../ratelimit/sql.ts";
import type { TenantLedgerOp } from "./do-protocol.ts";
import { SqlLedgerCore } from "./sql-core.ts";
import type { SqlPort, SqlValue } from "./sql-port.ts";
import type { IdempotencyRecord } from "./types.ts";

/** The part of Cloudflare's `DurableObjectState` this class uses (kept structural so tests can supply a shim). */
export interface TenantLedgerState {
  storage: {
    sql: { exec(query: string, ...bindings: SqlValue[]): { toArray(): unknown[] } };
    transactionSync<T>(fn: () => T): T;
  };
}

function doSqlPort(storage: TenantLedgerState["storage"]): SqlPort {
  return {
    all: <T>(sql: string, ...params: SqlValue[]) => storage.sql.exec(sql, ...params).toArray() as T[],
    tx: <T>(fn: () => T): T => storage.transactionSync(fn),
  };
}

const str = (v: unknown): string => {
  if (typeof v !== "string") throw new RangeError("expected a string argument");
  return v;
};
const num = (v: unknown): number => {
  if (typeof v !== "number") throw new RangeError("expected a number argument");
  return v;
};

export class TenantLedger {
  private readonly ledger: SqlLedgerCore;
  private readonly rate: SqlRateCore;

  constructor(ctx: TenantLedgerState, _env?: unknown) {
    const port = doSqlPort(ctx.storage);
    this.ledger = new SqlLedgerCore(port); // schema statements are synchronous, so the object is ready on return
    this.rate = new SqlRateCore(port);
  }

  async fetch(request: Request): Promise<Response> {
    const op = new URL(request.url).pathname.slice(1) as TenantLedgerOp;
    try {
      if (request.method !== "POST") throw new RangeError("POST only");
      const args: unknown = await request.json();
      if (!Array.isArray(args)) throw new RangeError("arguments must be a JSON array");
      return Response.json(this.dispatch(op, args) ?? null);
    } catch (e) {
      const name = e instanceof RangeError || e instanceof SyntaxError ? "RangeError" : "Error";
      const message = e instanceof Error ? e.message : String(e);
      return Response.json({ error: { name, message } }, { status: name === "RangeError" ? 400 : 500 });
    }
  }

  private dispatch(op: TenantLedgerOp, a: unknown[]): unknown {
    switch (op) {
      case "reserve":
        return this.ledger.reserve(str(a[0]), str(a[1]), num(a[2]), num(a[3]), num(a[4]), num(a[5]));
      case "settle":
        return this.ledger.settle(str(a[0]), num(a[1]));
      case "void":
        return this.ledger.void(str(a[0]));
      case "usage":
        return this.ledger.usage(str(a[0]), num(a[1]), num(a[2]), num(a[3]));
      case "get":
        return this.ledger.get(str(a[0]));
      case "begin": {
        const r = a[0] as Partial<IdempotencyRecord> | null;
        const rec = {
          tenant: str(r?.tenant),
          key: str(r?.key),
          fingerprint: str(r?.fingerprint),
          job_id: str(r?.job_id),
          created_at: num(r?.created_at),
        };
        return this.ledger.begin(rec, num(a[1]));
      }
      case "finish":
        return this.ledger.finish(str(a[0]), str(a[1]), num(a[2]), str(a[3]));
      case "release":
        return this.ledger.release(str(a[0]), str(a[1]));
      case "take":
        return this.rate.take(str(a[0]), num(a[1]), num(a[2]));
      default:
        throw new RangeError(`unknown operation ${String(op)}`);
    }
  }
}
