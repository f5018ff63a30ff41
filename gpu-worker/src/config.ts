// Worker configuration from the environment, validated once at start-up.
import { z } from "zod";

const Env = z.object({
  GG_WORKER_HOST: z.string().default("127.0.0.1"),
  GG_WORKER_PORT: z.coerce.number().int().min(0).max(65535).default(8790),
  GG_WORKER_ID: z.string().default(`worker-${process.pid}`),
  GG_MODEL_DIRS: z.string().default("models/shapes-32"), // comma-separated model folders
  GG_PROVIDER: z.enum(["cpu", "cuda"]).default("cpu"),
  GG_DEVICE_ID: z.coerce.number().int().min(0).default(0),
  GG_INTRA_OP_THREADS: z.coerce.number().int().min(0).default(0),
  GG_INTERNAL_SECRET: z.string().min(16).default("dev-internal-secret-change-me"),
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
});
export type WorkerConfig = z.infer<typeof Env>;

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid worker configuration: ${issues}`);
  }
  return parsed.data;
}
