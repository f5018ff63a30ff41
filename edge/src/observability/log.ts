// The edge's structured logs: LogTape (runtime-agnostic, so the same calls log on Node, Deno and workerd) writing
// one JSON object per line to the console. Each request's logger carries its request_id and trace_id
// (request-context.ts); code outside a request logs through `edgeLog`. Until an entry calls configureLogging
// LogTape drops every record, which is what unit tests get.
import {
  configureSync,
  getConsoleSink,
  getLogger,
  jsonLinesFormatter,
  type Logger,
  type LogLevel,
} from "@logtape/logtape";

export type { Logger } from "@logtape/logtape";

/** Every edge record is under this category; the worker logs under ["guidegate", "worker"]. */
export const edgeLog: Logger = getLogger(["guidegate", "edge"]);

export const DEFAULT_LOG_LEVEL: LogLevel = "info";
const LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warning", "error", "fatal"];

/** GG_LOG_LEVEL, checked: a typo must not silence the logs. */
export function logLevelOf(value: string | undefined): LogLevel {
  if (value === undefined || value === "") return DEFAULT_LOG_LEVEL;
  if (!(LEVELS as readonly string[]).includes(value))
    throw new Error(`GG_LOG_LEVEL must be one of ${LEVELS.join(", ")} (got ${value})`);
  return value as LogLevel;
}

/** JSON lines on the console from `level` up; called once by each runtime entry (again replaces it). */
export function configureLogging(level: LogLevel = DEFAULT_LOG_LEVEL): void {
  configureSync({
    reset: true,
    sinks: { console: getConsoleSink({ formatter: jsonLinesFormatter }) },
    loggers: [
      { category: ["guidegate"], lowestLevel: level, sinks: ["console"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
    ],
  });
}

/** An error as log properties: its name and message, never a stack into a customer-facing place. */
export function errorFields(err: unknown): { error: string } {
  return { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
}
