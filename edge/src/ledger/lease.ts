// Reservation leases: a reservation nobody settles or voids (the edge crashed, a settle call failed) would hold
// quota forever, so each store voids open reservations older than the lease on the tenant's next reserve or usage
// read (reference B3: "an expired lease is voided"). A settle that arrives later finds the job ended and returns false.

/** Default lease: far longer than any generation runs, short enough that a lost settle frees quota the same day. */
export const RESERVATION_LEASE_MS = 60 * 60 * 1000;

export interface LedgerOptions {
  /** Open reservations older than this (ms) are voided; default RESERVATION_LEASE_MS. */
  leaseMs?: number;
}
