// The worker's error envelope (the same shape as the public contract).
import type { ErrorType } from "@guidegate/shared";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  type: ErrorType,
  code: string,
  message: string,
  param: string | null = null,
) {
  return c.json({ error: { type, code, message, param } }, status);
}
