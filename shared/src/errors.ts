// The error envelope and its codes: the only shape a failure takes on the wire.
import { z } from "zod";

export const ErrorTypeSchema = z.enum([
  "invalid_request_error",
  "authentication_error",
  "insufficient_quota",
  "permission_error",
  "not_found_error",
  "method_not_allowed",
  "idempotency_error",
  "request_too_large",
  "unsupported_media_type",
  "rate_limit_error",
  "overloaded_error",
  "server_error",
]);
export type ErrorType = z.infer<typeof ErrorTypeSchema>;

export const ErrorBodySchema = z.object({
  type: ErrorTypeSchema,
  code: z.string(),
  message: z.string(),
  param: z.string().nullable(),
  /** The request's id (its `x-request-id`), so a customer's report of a failure can be traced in the logs. */
  request_id: z.string().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;
export const ErrorEnvelopeSchema = z.object({ error: ErrorBodySchema });
export type ErrorEnvelope = z.infer<typeof ErrorEnvelopeSchema>;

export const STATUS_OF: Record<ErrorType, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  insufficient_quota: 402,
  permission_error: 403,
  not_found_error: 404,
  method_not_allowed: 405,
  idempotency_error: 409,
  request_too_large: 413,
  unsupported_media_type: 415,
  rate_limit_error: 429,
  overloaded_error: 503,
  server_error: 500,
};
