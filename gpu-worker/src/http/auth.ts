// Workers accept only what the edge signed: a short-lived HS256 token for audience gpu-worker naming one
// job, or, for GET /internal/health alone, a health-scoped one (audience gpu-worker-health, no job) or
// the operator's static GG_HEALTH_TOKEN (for tools that cannot sign a JWT); GET /metrics only GG_METRICS_TOKEN.
import { timingSafeEqual } from "node:crypto";
import { INTERNAL_AUDIENCE, INTERNAL_HEALTH_AUDIENCE, INTERNAL_ISSUER } from "@guidegate/shared";
import type { Context, MiddlewareHandler } from "hono";
import { type JWTPayload, jwtVerify } from "jose";
import { errorResponse } from "./errors.ts";

function keyOf(secret: string): Uint8Array {
  if (secret.length < 16) throw new Error("internal secret must be at least 16 characters");
  return new TextEncoder().encode(secret);
}

const bearer = (c: Context): string => {
  const header = c.req.header("authorization") ?? "";
  return header.startsWith("Bearer ") ? header.slice(7) : "";
};

const refused = (c: Context) =>
  errorResponse(c, 401, "authentication_error", "invalid_internal_token", "A valid internal token is required.");

function verify(
  token: string,
  key: Uint8Array,
  audience: string,
  requiredClaims: string[],
): Promise<{ payload: JWTPayload }> {
  return jwtVerify(token, key, {
    algorithms: ["HS256"],
    audience,
    issuer: INTERNAL_ISSUER,
    requiredClaims,
    maxTokenAge: "10m",
    clockTolerance: 5,
  });
}

export function internalAuth(secret: string): MiddlewareHandler {
  const key = keyOf(secret);
  return async (c, next) => {
    try {
      const { payload } = await verify(bearer(c), key, INTERNAL_AUDIENCE, ["exp", "job_id"]);
      c.set("internalJobId" as never, payload.job_id as never);
    } catch {
      return refused(c);
    }
    await next();
  };
}

const sameBytes = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export function healthAuth(secret: string, staticToken?: string): MiddlewareHandler {
  const key = keyOf(secret);
  return async (c, next) => {
    const token = bearer(c);
    if (!(staticToken && sameBytes(token, staticToken))) {
      try {
        await verify(token, key, INTERNAL_HEALTH_AUDIENCE, ["exp"]);
      } catch {
        return refused(c);
      }
    }
    await next();
  };
}

/** GET /metrics: the operator's static GG_METRICS_TOKEN alone (Prometheus sends it as a bearer). */
export function metricsAuth(token: string): MiddlewareHandler {
  return async (c, next) => {
    if (!sameBytes(bearer(c), token)) return refused(c);
    await next();
  };
}
