// Reservation leases: a reservation nobody settles or voids (the edge crashed, a settle call failed) would hold
// quota forever, so each store releases open reservations older than the lease on the tenant's next reserve or
// usage read (reference B3: "an expired lease is voided"), marking them expired. The lease frees quota; it does not
// forgive work: a settle that arrives later (a job that outran the lease, a settle retried after an outage) is
// still billed once, counted as late_settled. Only an explicit void makes a later settle a no-op.
import type { Reservation } from "./types.ts";

/** Default lease: far longer than any generation runs, short enough that a lost settle frees quota the same day. */
export const RESERVATION_LEASE_MS = 60 * 60 * 1000;

export interface LedgerOptions {
  /** Open reservations older than this (ms) are released; default RESERVATION_LEASE_MS. */
  leaseMs?: number;
}

/** Whether a reservation made at `createdAt` has outlived its lease at `now` (the sweep's own cutoff test). */
export const leaseOver = (createdAt: number, now: number, leaseMs: number): boolean => createdAt <= now - leaseMs;

/** Whether a settle may still bill `r`: it is open, or its lease released it (a void by the edge is final). */
export const settleable = (r: Reservation): boolean =>
  r.state === "reserved" || (r.state === "voided" && r.expired_at !== null);
