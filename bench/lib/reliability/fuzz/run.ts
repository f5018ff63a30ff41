// Drive N hostile requests (fast-check, seeded) through `send` and tally what came back. Every
// case runs to the end: violations are collected with the request that caused them, not shrunk.
import fc from "fast-check";
import { judge } from "./check.ts";
import { type HostileRequest, hostileRequests } from "./requests.ts";
import { authorization } from "./tokens.ts";

const OVERSIZE = 64 * 1024;
const bodyBytes = (b: string | Uint8Array | undefined): number =>
  b === undefined ? 0 : typeof b === "string" ? Buffer.byteLength(b) : b.byteLength;

export interface Violation {
  defect: HostileRequest["defect"];
  method: string;
  path: string;
  detail: string;
}

export interface FuzzStats {
  seed: number;
  cases: number;
  rejected: number; // 4xx with the envelope
  admitted: number; // 503 no_capacity from the refusing pool (in-process only)
  /** 400s whose `param` was checked against the field the request got wrong. */
  paramsChecked: number;
  /** Over-limit uploads whose connection the server closed instead of (or before the client read) its 413. */
  closedOversize: number;
  byStatus: Record<string, number>;
  byDefect: Record<string, number>;
  byDefectStatus: Record<string, number>;
  violations: Violation[];
  /** Tenants of the well-formed tokens used: their usage must be untouched afterwards. */
  tenants: Array<{ sub: string; tier: string }>;
  ms: number;
}

export interface FuzzOptions {
  numRuns: number;
  seed?: number;
  invalidOnly: boolean;
  secret: string;
  now: () => number;
  send: (req: HostileRequest, init: RequestInit) => Promise<Response>;
  /** Extra invariant checked after every case (e.g. no prototype pollution); a string is a violation. */
  after?: () => string | null;
  secrets?: readonly string[];
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzStats> {
  const seed = o.seed ?? Date.now() % 2 ** 31;
  const stats: FuzzStats = {
    seed,
    cases: 0,
    rejected: 0,
    admitted: 0,
    paramsChecked: 0,
    closedOversize: 0,
    byStatus: {},
    byDefect: {},
    byDefectStatus: {},
    violations: [],
    tenants: [],
    ms: 0,
  };
  const seen = new Set<string>();
  const t0 = performance.now();
  await fc.assert(
    fc.asyncProperty(hostileRequests({ invalidOnly: o.invalidOnly }), async (req) => {
      stats.cases++;
      stats.byDefect[req.defect] = (stats.byDefect[req.defect] ?? 0) + 1;
      if (req.token.kind === "valid" && !seen.has(`${req.token.sub}\0${req.token.tier}`)) {
        seen.add(`${req.token.sub}\0${req.token.tier}`);
        stats.tenants.push({ sub: req.token.sub, tier: req.token.tier });
      }
      const auth = await authorization(req.token, o.secret, o.now());
      const headers = { ...req.headers, ...(auth === null ? {} : { authorization: auth }) };
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : req.body;
      const fail = (detail: string) =>
        stats.violations.push({ defect: req.defect, method: req.method, path: req.path.slice(0, 200), detail });
      try {
        const res = await o.send(req, { method: req.method, headers, body: body as BodyInit | undefined });
        stats.byStatus[res.status] = (stats.byStatus[res.status] ?? 0) + 1;
        const cell = `${req.defect} ${res.status}`;
        stats.byDefectStatus[cell] = (stats.byDefectStatus[cell] ?? 0) + 1;
        const v = await judge(req, res, o.secrets ?? []);
        if (res.status === 400 && req.params) stats.paramsChecked++;
        if (v.kind === "rejected") stats.rejected++;
        else if (v.kind === "admitted") stats.admitted++;
        else fail(v.detail);
      } catch (err) {
        const cause = (err as { cause?: unknown }).cause;
        // @hono/node-server answers 413 before reading the body, drains it, and may close a socket that
        // undici then reuses: a reset, not a wrong answer. Counted apart; the edge must survive it.
        if (bodyBytes(body) > OVERSIZE && /other side closed|ECONNRESET|EPIPE/.test(String(cause))) {
          stats.closedOversize++;
          return true;
        }
        fail(`request threw: ${String(err).slice(0, 200)}${cause ? ` (${String(cause).slice(0, 200)})` : ""}`);
      }
      const broken = o.after?.();
      if (broken) fail(broken);
      return true;
    }),
    { numRuns: o.numRuns, seed, endOnFailure: true },
  );
  stats.ms = performance.now() - t0;
  return stats;
}
