// The worker's structured logs: LogTape JSON lines on the console, the same format as the edge's
// (edge/src/observability/log.ts). A job's records carry the edge request that made it (request_id) and the
// trace it belongs to: the worker's run is a child span of the edge span in the job's traceparent.
import { childSpan, parseTraceparent, type WorkerJob } from "@guidegate/shared";
import {
  configureSync,
  getConsoleSink,
  getLogger,
  jsonLinesFormatter,
  type Logger,
  type LogLevel,
} from "@logtape/logtape";

export type { Logger } from "@logtape/logtape";

export const workerLog: Logger = getLogger(["guidegate", "worker"]);

/** JSON lines on the console from `level` up (GG_LOG_LEVEL); main.ts calls it once. */
export function configureLogging(level: LogLevel): void {
  configureSync({
    reset: true,
    sinks: { console: getConsoleSink({ formatter: jsonLinesFormatter }) },
    loggers: [
      { category: ["guidegate"], lowestLevel: level, sinks: ["console"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
    ],
  });
}

/** The logger of one job: its id, its edge request id, its trace and this worker's span in it. */
export function jobLog(job: Pick<WorkerJob, "job_id" | "request_id" | "traceparent">): Logger {
  const span = childSpan(parseTraceparent(job.traceparent));
  return workerLog.with({
    job_id: job.job_id,
    request_id: job.request_id,
    trace_id: span.traceId,
    span_id: span.spanId,
  });
}
