// One place that turns period totals into the TenantUsage every store returns.
import type { TenantUsage } from "./types.ts";

export function makeUsage(tenant: string, period: string, quota: number, used: number, reserved: number): TenantUsage {
  return { tenant, period, quota, used, reserved, remaining: Math.max(0, quota - used - reserved) };
}
