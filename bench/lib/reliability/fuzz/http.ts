// The same hostile requests over real HTTP against the edge process, invalid ones only (a valid one
// would run a real generation). Afterwards no tenant used or reserved anything and no worker ran an NFE.
import { DEV_JWT_SECRET } from "@guidegate/stack";
import { mintDevToken } from "../../../../edge/src/auth/dev-token.ts";
import { nfeTotal, usage } from "../probes.ts";
import { type FuzzStats, runFuzz } from "./run.ts";

export interface HttpFuzz {
  stats: FuzzStats;
  ledgerChanged: Array<{ sub: string; used: number; reserved: number }>;
  workerNfe: number;
  edgeAlive: boolean;
}

export async function fuzzOverHttp(
  edgeUrl: string,
  workerUrls: readonly string[],
  numRuns: number,
  seed?: number,
  secret = process.env.GG_JWT_SECRET || DEV_JWT_SECRET,
): Promise<HttpFuzz> {
  const nfeBefore = await nfeTotal(workerUrls);
  const stats = await runFuzz({
    numRuns,
    seed,
    invalidOnly: true,
    secret,
    now: () => Date.now(),
    secrets: [secret],
    // An over-limit upload goes on a connection of its own: @hono/node-server answers 413 before reading
    // the body and may close that socket after draining it, and undici would reuse it for the next request.
    send: (req, init) => {
      const b = init.body as string | Uint8Array | undefined;
      const oversize = (typeof b === "string" ? b.length : (b?.byteLength ?? 0)) > 64 * 1024;
      const headers = oversize ? { ...(init.headers as Record<string, string>), connection: "close" } : init.headers;
      return fetch(`${edgeUrl}${req.path}`, {
        ...init,
        headers,
        redirect: "manual",
        signal: AbortSignal.timeout(15_000),
      });
    },
  });
  const ledgerChanged: HttpFuzz["ledgerChanged"] = [];
  for (const t of stats.tenants) {
    const u = await usage(edgeUrl, await mintDevToken({ sub: t.sub, tier: t.tier, secret }));
    if (u.used_nfe !== 0 || u.reserved_nfe !== 0)
      ledgerChanged.push({ sub: t.sub, used: u.used_nfe, reserved: u.reserved_nfe });
  }
  const edgeAlive = (await fetch(`${edgeUrl}/healthz`).catch(() => null))?.ok === true;
  return { stats, ledgerChanged, workerNfe: (await nfeTotal(workerUrls)) - nfeBefore, edgeAlive };
}
