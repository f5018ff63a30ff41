// Edge configuration: parsed once per process/isolate from a plain string map (process.env,
// Workers env, Deno.env) into a frozen, validated object handed to the factories.
import { z } from "zod";
import { DEFAULT_TIERS, MAX_DETACH_GRACE_MS, TierSchema, type Tiers, TiersSchema } from "@guidegate/shared";
import { RESERVATION_LEASE_MS } from "./ledger/lease.ts";
import { checkLease } from "./ledger/validate.ts";
import { type ModelInfo, ModelsSchema } from "./tiers/models.ts";

export interface EdgeConfig {
  /** `iss` and `aud` every customer token must carry. */
  issuer: string;
  audience: string;
  clockToleranceSec: number;
  tiers: Tiers;
  /** A pinned model list (GG_MODELS_JSON); null: the models workers report in their health. */
  models: readonly ModelInfo[] | null;
  defaultSteps: number;
  bodyLimitBytes: number;
  /** Body limit of the routes that take images (POST /v1/images/edits, POST /v1/jobs). */
  editBodyLimitBytes: number;
  /** Largest image or mask accepted, decoded bytes. */
  editImageBytes: number;
  /** Largest width × height of an image or mask accepted. */
  editMaxPixels: number;
  /** Interval of `: keep-alive` comments on event streams. */
  keepAliveMs: number;
  /** How long finished jobs (and their event logs) stay readable. */
  jobTtlMs: number;
  /** Dispatch attempts per job when a worker dies or refuses (same seed each time). */
  maxAttempts: number;
  /** After a cancel, how long to wait for the worker's `cancelled` event before cutting the stream. */
  cancelGraceMs: number;
  /** Base URL used to build absolute `events_url`s; relative paths when absent. */
  publicBaseUrl: string | null;
  /** How long a reservation holds quota without a settle (GG_RESERVATION_LEASE_MS); a later settle still bills. */
  reservationLeaseMs: number;
  /** Monthly NFE quotas by tenant that replace their tier's (GG_TENANT_QUOTAS_JSON); a stored override wins. */
  tenantQuotas: Readonly<Record<string, number>>;
  /** Open `GET /v1/jobs/{id}/events` streams one tenant may hold (429 beyond). */
  maxEventStreamsPerTenant: number;
  /** Open event streams this gateway process holds for everyone together (503 beyond). */
  maxEventStreams: number;
  /** Jobs on workers at once for all tenants together, beyond which jobs wait at the edge and tenants take
   * turns; 0: no edge-wide limit (each tenant's tier limits still apply). */
  maxConcurrentJobs: number;
  /** POST /v1/jobs: how long a request waits for another holding its Idempotency-Key to finish (409 after). */
  idempotencyWaitMs: number;
  /** Jobs API dispatches: how long a worker keeps a job running with no edge attached (an edge restart) before
   * it cancels it (GG_JOB_DETACH_GRACE_MS); 0: the stream closing cancels at once. */
  jobDetachGraceMs: number;
  /** POST /v1/jobs: how long a job waits for worker capacity when its request sets no queue_timeout_s. */
  jobQueueTimeoutMs: number;
  /** Node only: a client must finish sending its headers within this (408 after). */
  headersTimeoutMs: number;
  /** Node only: a client must finish sending its whole request, body included, within this (408 after). */
  requestTimeoutMs: number;
  /** The admin API's bearer (GG_ADMIN_TOKEN, a secret of 32+ characters); null: the admin API refuses everyone. */
  adminToken: string | null;
}

export type EnvMap = Record<string, string | undefined>;

export const DEFAULT_CONFIG: Readonly<EdgeConfig> = Object.freeze({
  issuer: "guidegate-dev",
  audience: "guidegate-api",
  clockToleranceSec: 5,
  tiers: DEFAULT_TIERS,
  models: null,
  defaultSteps: 20,
  bodyLimitBytes: 64 * 1024,
  editBodyLimitBytes: 16 * 1024 * 1024,
  editImageBytes: 4 * 1024 * 1024, // OpenAI's dall-e-2 limit
  editMaxPixels: 4096 * 4096,
  keepAliveMs: 15_000,
  jobTtlMs: 60 * 60 * 1000,
  maxAttempts: 3,
  cancelGraceMs: 5_000,
  publicBaseUrl: null,
  reservationLeaseMs: RESERVATION_LEASE_MS,
  tenantQuotas: Object.freeze({}),
  maxEventStreamsPerTenant: 32,
  maxEventStreams: 5_000,
  maxConcurrentJobs: 0,
  idempotencyWaitMs: 10_000,
  jobDetachGraceMs: 60_000,
  jobQueueTimeoutMs: 300_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  adminToken: null,
});

/** Build a config from defaults plus explicit overrides (tests, embedding). */
export function makeConfig(overrides: Partial<EdgeConfig> = {}): EdgeConfig {
  return Object.freeze({ ...DEFAULT_CONFIG, ...overrides });
}

/** An override as written: any fields of a tier, unparsed, so no schema default slips in for a field not given. */
const TierOverrides = z.record(z.string(), z.record(z.string(), z.unknown()));
const TIER_FIELDS = Object.keys(TierSchema.shape);

/** `GG_TIERS_JSON` overrides tiers by name: fields merge onto a default tier of that name, new names must be complete. */
export function parseTiers(json: string | undefined, base: Tiers = DEFAULT_TIERS): Tiers {
  if (!json) return base;
  const overrides = TierOverrides.parse(JSON.parse(json));
  const merged = new Map<string, unknown>(Object.entries(base));
  for (const [name, fields] of Object.entries(overrides)) {
    const unknown = Object.keys(fields).find((f) => !TIER_FIELDS.includes(f));
    if (unknown) throw new Error(`GG_TIERS_JSON: ${name}.${unknown} is not a tier field (${TIER_FIELDS.join(", ")})`);
    // Raw fields over the parsed default tier: defaults only fill what neither of them has.
    merged.set(name, { ...(base[name] ?? {}), ...fields });
  }
  const parsed = TiersSchema.safeParse(Object.fromEntries(merged));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new Error(`GG_TIERS_JSON: ${issue.path.map(String).join(".")}: ${issue.message}`);
}

const TenantQuotas = z.record(z.string().min(1), z.number().int().min(0));

/** `GG_TENANT_QUOTAS_JSON`: `{"tenant": monthly NFEs, ...}`, each replacing that tenant's tier quota. */
export function parseTenantQuotas(json: string | undefined): Readonly<Record<string, number>> {
  return json ? Object.freeze(TenantQuotas.parse(JSON.parse(json))) : DEFAULT_CONFIG.tenantQuotas;
}

/** A non-negative number from `env[name]`, or `fallback` when unset; throws on anything else. */
export function int(env: EnvMap, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return n;
}

/**
 * Within the worker contract's bound. Against the reservation lease (GG_RESERVATION_LEASE_MS, default an hour):
 * a job detached across a restart keeps its reservation while the lease lasts, and a settle after it still
 * bills (late_settled), so a lease shorter than the grace frees quota early but never loses money.
 */
export function checkDetachGrace(graceMs: number): number {
  if (!Number.isInteger(graceMs) || graceMs > MAX_DETACH_GRACE_MS)
    throw new Error(`GG_JOB_DETACH_GRACE_MS must be an integer of at most ${MAX_DETACH_GRACE_MS}, got ${graceMs}`);
  return graceMs;
}

/** Read edge settings from environment variables; throws at start-up on anything malformed. */
export function loadConfig(env: EnvMap): EdgeConfig {
  return makeConfig({
    issuer: env.GG_ISSUER || DEFAULT_CONFIG.issuer,
    audience: env.GG_AUDIENCE || DEFAULT_CONFIG.audience,
    clockToleranceSec: int(env, "GG_CLOCK_TOLERANCE_S", DEFAULT_CONFIG.clockToleranceSec),
    tiers: parseTiers(env.GG_TIERS_JSON),
    models: env.GG_MODELS_JSON ? ModelsSchema.parse(JSON.parse(env.GG_MODELS_JSON)) : null,
    defaultSteps: int(env, "GG_DEFAULT_STEPS", DEFAULT_CONFIG.defaultSteps),
    bodyLimitBytes: int(env, "GG_BODY_LIMIT_BYTES", DEFAULT_CONFIG.bodyLimitBytes),
    editBodyLimitBytes: int(env, "GG_EDIT_BODY_LIMIT_BYTES", DEFAULT_CONFIG.editBodyLimitBytes),
    editImageBytes: int(env, "GG_EDIT_IMAGE_BYTES", DEFAULT_CONFIG.editImageBytes),
    editMaxPixels: int(env, "GG_EDIT_MAX_PIXELS", DEFAULT_CONFIG.editMaxPixels),
    keepAliveMs: int(env, "GG_KEEPALIVE_MS", DEFAULT_CONFIG.keepAliveMs),
    jobTtlMs: int(env, "GG_JOB_TTL_MS", DEFAULT_CONFIG.jobTtlMs),
    maxAttempts: Math.max(1, int(env, "GG_MAX_ATTEMPTS", DEFAULT_CONFIG.maxAttempts)),
    cancelGraceMs: int(env, "GG_CANCEL_GRACE_MS", DEFAULT_CONFIG.cancelGraceMs),
    publicBaseUrl: env.GG_PUBLIC_BASE_URL || null,
    reservationLeaseMs: checkLease(int(env, "GG_RESERVATION_LEASE_MS", DEFAULT_CONFIG.reservationLeaseMs)),
    tenantQuotas: parseTenantQuotas(env.GG_TENANT_QUOTAS_JSON),
    maxEventStreamsPerTenant: int(env, "GG_MAX_EVENT_STREAMS_PER_TENANT", DEFAULT_CONFIG.maxEventStreamsPerTenant),
    maxEventStreams: int(env, "GG_MAX_EVENT_STREAMS", DEFAULT_CONFIG.maxEventStreams),
    maxConcurrentJobs: int(env, "GG_MAX_CONCURRENT_JOBS", DEFAULT_CONFIG.maxConcurrentJobs),
    idempotencyWaitMs: int(env, "GG_IDEMPOTENCY_WAIT_MS", DEFAULT_CONFIG.idempotencyWaitMs),
    jobDetachGraceMs: checkDetachGrace(int(env, "GG_JOB_DETACH_GRACE_MS", DEFAULT_CONFIG.jobDetachGraceMs)),
    jobQueueTimeoutMs: int(env, "GG_JOB_QUEUE_TIMEOUT_MS", DEFAULT_CONFIG.jobQueueTimeoutMs),
    headersTimeoutMs: int(env, "GG_HEADERS_TIMEOUT_MS", DEFAULT_CONFIG.headersTimeoutMs),
    requestTimeoutMs: int(env, "GG_REQUEST_TIMEOUT_MS", DEFAULT_CONFIG.requestTimeoutMs),
    adminToken: env.GG_ADMIN_TOKEN || DEFAULT_CONFIG.adminToken,
  });
}

/** Comma- or whitespace-separated worker base URLs, validated. */
export function parseWorkerUrls(raw: string | undefined): string[] {
  const urls = (raw ?? "").split(/[\s,]+/).filter(Boolean);
  for (const u of urls) new URL(u); // throws on a malformed URL at start-up
  return urls.map((u) => u.replace(/\/+$/, ""));
}
