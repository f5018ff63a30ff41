// Worker configuration from the environment, validated once at start-up.
import { DEV_INTERNAL_SECRET } from "@guidegate/shared";
import { z } from "zod";

/** Secrets anyone can read (the development default, the old default, infra/k8s/secret.example.yaml): never in production. */
const PUBLISHED_SECRETS = [
  DEV_INTERNAL_SECRET,
  "dev-internal-secret-change-me",
  "change-me-to-at-least-32-random-bytes",
];

const Env = z.object({
  GG_WORKER_HOST: z.string().default("127.0.0.1"),
  GG_WORKER_PORT: z.coerce.number().int().min(0).max(65535).default(8790),
  GG_WORKER_ID: z.string().default(`worker-${process.pid}`),
  GG_MODEL_DIRS: z.string().default("models/shapes-32"), // comma-separated model folders
  GG_PROVIDER: z.enum(["cpu", "cuda"]).default("cpu"),
  GG_DEVICE_ID: z.coerce.number().int().min(0).default(0),
  GG_INTRA_OP_THREADS: z.coerce.number().int().min(0).default(0),
  GG_INTERNAL_SECRET: z.preprocess((v) => (v === "" ? undefined : v), z.string().min(16).optional()),
  GG_HEALTH_TOKEN: z.string().min(32).optional(), // a static bearer for GET /internal/health
  GG_METRICS_TOKEN: z.string().min(32).optional(), // Prometheus' bearer for GET /metrics; no /metrics without it
  // SIGTERM: how long running jobs may go on before what is left is cancelled (k8s: under terminationGracePeriodSeconds)
  GG_DRAIN_GRACE_MS: z.coerce.number().int().min(0).default(30_000),
  GG_CAPACITY: z.coerce.number().int().min(1).default(8),
  GG_MAX_QUEUE: z.coerce.number().int().min(0).default(32),
  GG_MAX_BATCH: z.coerce.number().int().min(1).default(32),
  GG_BATCH_WINDOW_MS: z.coerce.number().min(0).default(2),
  GG_S3_ENDPOINT: z.string().url().optional(),
  GG_S3_REGION: z.string().default("us-east-1"),
  GG_S3_BUCKET: z.string().default("guidegate-images"),
  GG_S3_ACCESS_KEY_ID: z.string().default("S3RVER"),
  GG_S3_SECRET_ACCESS_KEY: z.string().default("S3RVER"),
  GG_S3_FORCE_PATH_STYLE: z.enum(["true", "false"]).default("true"),
  GG_URL_TTL_SECONDS: z.coerce.number().int().min(1).max(604800).default(3600),
  GG_SPOOL_DIR: z.string().min(1).default(".data/spool"), // finished images wait here while S3 is unreachable
  GG_LOG_LEVEL: z.enum(["trace", "debug", "info", "warning", "error", "fatal"]).default("info"),
});
export type WorkerConfig = Omit<z.infer<typeof Env>, "GG_INTERNAL_SECRET"> & { GG_INTERNAL_SECRET: string };

/** The edge's secret; the public development one only outside production (as the edge does for customer tokens). */
function internalSecret(given: string | undefined, production: boolean): string {
  if (!production) return given ?? DEV_INTERNAL_SECRET;
  const fix = "set it to the edge's GG_INTERNAL_SECRET (at least 32 random bytes: openssl rand -base64 48)";
  if (given === undefined)
    throw new Error(
      `GG_INTERNAL_SECRET is required when NODE_ENV=production: ${fix}. Without it the worker would accept jobs signed with the public development secret.`,
    );
  if (PUBLISHED_SECRETS.includes(given))
    throw new Error(`GG_INTERNAL_SECRET is a published example value, refused when NODE_ENV=production: ${fix}.`);
  return given;
}

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid worker configuration: ${issues}`);
  }
  return {
    ...parsed.data,
    GG_INTERNAL_SECRET: internalSecret(parsed.data.GG_INTERNAL_SECRET, env.NODE_ENV === "production"),
  };
}
