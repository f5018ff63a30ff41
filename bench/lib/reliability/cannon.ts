// autocannon against the gateway's non-streaming endpoints (it does not speak SSE): latency and errors.
import autocannon from "autocannon";

export interface CannonResult {
  path: string;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  fiveXx: number;
}

export async function cannon(
  baseUrl: string,
  path: string,
  opts: { seconds: number; connections: number; token?: string },
): Promise<CannonResult> {
  const r = await autocannon({
    url: `${baseUrl}${path}`,
    connections: opts.connections,
    duration: opts.seconds,
    headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
  });
  return {
    path,
    requests: r.requests.total,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    fiveXx: r["5xx"],
  };
}
