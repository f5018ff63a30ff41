// A ledger as the SQL stores wrote it before reservations recorded their price (the first LEDGER_SCHEMA), with
// one tenant's rows in it, so the SQLite and Durable Object suites can open an old file or object and check what
// the migration (LEDGER_COLUMNS in edge/src/ledger/sql-core.ts) makes of it. Runtime-neutral: workerd imports it.
import { routeKeyOf } from "../../edge/src/ledger/ids.ts";

/** The tenant whose rows PRICELESS_SEED holds, and when they were made (a period of their own). */
export const PRICELESS_TENANT = "legacy";
export const PRICELESS_NOW = Date.UTC(2026, 6, 10);

/** The ledger tables exactly as first created (no price, no cost), and `IF NOT EXISTS` so seeding twice is a no-op. */
const PRICELESS_SCHEMA: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS ledger_reservations (
     job_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, reserved INTEGER NOT NULL, spent INTEGER,
     state TEXT NOT NULL CHECK (state IN ('reserved', 'settled', 'voided')),
     period TEXT NOT NULL, created_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ledger_totals (
     tenant TEXT NOT NULL, period TEXT NOT NULL, used INTEGER NOT NULL, reserved INTEGER NOT NULL,
     PRIMARY KEY (tenant, period))`,
];

/** Job ids of the seeded rows, shaped as newJobId(PRICELESS_TENANT) makes them (the Durable Object routes by them). */
export const PRICELESS_SETTLED = `job_${routeKeyOf(PRICELESS_TENANT)}${"0".repeat(24)}`;
export const PRICELESS_OPEN = `job_${routeKeyOf(PRICELESS_TENANT)}${"f".repeat(24)}`;

/** One job settled at 20 NFEs and one still holding 10, with their period totals. */
const PRICELESS_ROWS: readonly string[] = [
  `INSERT OR IGNORE INTO ledger_reservations VALUES
     ('${PRICELESS_SETTLED}', '${PRICELESS_TENANT}', 30, 20, 'settled', '2026-07', ${PRICELESS_NOW}),
     ('${PRICELESS_OPEN}', '${PRICELESS_TENANT}', 10, NULL, 'reserved', '2026-07', ${PRICELESS_NOW})`,
  `INSERT OR IGNORE INTO ledger_totals VALUES ('${PRICELESS_TENANT}', '2026-07', 20, 10)`,
];

/** Every statement that writes the old ledger, in order, for whatever runs SQL (better-sqlite3, ctx.storage.sql). */
export const PRICELESS_SEED: readonly string[] = [...PRICELESS_SCHEMA, ...PRICELESS_ROWS];
