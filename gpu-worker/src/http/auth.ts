// Workers accept only jobs signed by the edge: a short-lived HS256 token for audience gpu-worker.
import { INTERNAL_AUDIENCE, INTERNAL_ISSUER } from "@guidegate/shared";
import type { MiddlewareHandler } from "hono";
import { jwtVerify } from "jose";
import { errorResponse } from "./errors.ts";

export function internalAuth(secret: string): MiddlewareHandler {
  if (secret.length < 16) throw new Error("internal secret must be at least 16 characters");
  const key = new TextEncoder().encode(secret);
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const token = header.startsWith("Bearer ") ? header.slice(7) : "";
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ["HS256"],
        audience: INTERNAL_AUDIENCE,
        issuer: INTERNAL_ISSUER,
        requiredClaims: ["exp", "job_id"],
        maxTokenAge: "10m",
        clockTolerance: 5,
      });
      c.set("internalJobId" as never, payload.job_id as never);
    } catch {
      return errorResponse(c, 401, "authentication_error", "invalid_internal_token", "A valid internal token is required.");
    }
    await next();
  };
}
