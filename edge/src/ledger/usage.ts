// The shapes every store returns: period totals as TenantUsage, a new reservation.
import type { Reservation, TenantUsage } from "./types.ts";

export function makeUsage(tenant: string, period: string, quota: number, used: number, reserved: number): TenantUsage {
  return { tenant, period, quota, used, reserved, remaining: Math.max(0, quota - used - reserved) };
}

/** A fresh reservation: the one shape every store records on reserve. */
export function openReservation(jobId: string, tenant: string, nfe: number, period: string, now: number): Reservation {
  return { job_id: jobId, tenant, reserved: nfe, spent: null, state: "reserved", period, created_at: now };
}
