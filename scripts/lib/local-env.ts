// The one place that decides where the local stack listens: `npm start` binds these ports and
// `npm run gen` (and the hint `npm start` prints) reaches the gateway through the same rules.
//   GG_EDGE_PORT, else PORT (an alias), else 8787       the gateway
//   GG_S3_PORT, else 8789                                local S3 (s3rver): stable, so presigned URLs
//                                                        from a previous run still work after a restart
//   GG_URL, else http://127.0.0.1:<gateway port>         what the CLI talks to (`--url` overrides it)
//   GG_DATA_DIR, else .data                              ledger, S3 objects, spools (delete it to reset)
import { isAbsolute, join, resolve } from "node:path";

export const DEFAULT_EDGE_PORT = 8787;
export const DEFAULT_S3_PORT = 8789;
export const LOCAL_HOST = "127.0.0.1";

type Env = Record<string, string | undefined>;

/** A port setting that is not 1..65535 stops the command with this message (no stack trace). */
export class BadSettingError extends Error {}

function port(env: Env, names: string[], fallback: number): { port: number; from: string | null } {
  for (const name of names) {
    const raw = env[name]?.trim();
    if (!raw) continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
      throw new BadSettingError(`${name} must be a port number (1-65535), got "${raw}"`);
    }
    return { port: n, from: name };
  }
  return { port: fallback, from: null };
}

/** The gateway's port: GG_EDGE_PORT, else PORT, else 8787. */
export const edgePort = (env: Env = process.env): number => port(env, ["GG_EDGE_PORT", "PORT"], DEFAULT_EDGE_PORT).port;

/** Local S3's port under `npm start`: GG_S3_PORT, else 8789. */
export const s3Port = (env: Env = process.env): number => port(env, ["GG_S3_PORT"], DEFAULT_S3_PORT).port;

export const edgeUrlFor = (p: number): string => `http://${LOCAL_HOST}:${p}`;

/** Where the CLI finds the gateway: GG_URL, else the local gateway on edgePort(env). */
export function gatewayUrl(env: Env = process.env): string {
  const url = env.GG_URL?.trim();
  return (url || edgeUrlFor(edgePort(env))).replace(/\/+$/, "");
}

/** The folder `npm start` keeps its state in: GG_DATA_DIR (relative to the repository), else .data. */
export function dataDir(root: string, env: Env = process.env): string {
  const d = env.GG_DATA_DIR?.trim();
  if (!d) return join(root, ".data");
  return isAbsolute(d) ? d : resolve(root, d);
}
