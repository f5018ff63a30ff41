// requestBodyLimit(): hono's bodyLimit (counts streamed bodies too) answering with our 413 envelope.
import type { Context, MiddlewareHandler } from "hono";
import { getRuntimeKey } from "hono/adapter";
import { bodyLimit } from "hono/body-limit";
import { ApiError, errorResponse } from "../errors.ts";

export function requestBodyLimit(maxBytes: number): MiddlewareHandler {
  if (!Number.isInteger(maxBytes) || maxBytes <= 0)
    throw new Error("requestBodyLimit: maxBytes must be a positive integer");
  // @hono/node-server answers before reading the rest of the body and may then close the socket
  // under a keep-alive client's next request; telling the client to close avoids that reuse.
  const closeAfter = getRuntimeKey() === "node";
  const tooLarge = (c: Context) =>
    errorResponse(
      new ApiError("request_too_large", "body_too_large", `The request body exceeds ${maxBytes} bytes.`, {
        headers: closeAfter ? { connection: "close" } : {},
      }),
      c.get("requestId") as string | undefined,
    );
  const streamed = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  // hono's middleware first reads `c.req.raw.body`, which makes @hono/node-server build a full Web Request
  // and stream (for a GET too) where the handler's c.req.text() would read the socket directly. The checks
  // it makes before reading are made here from the headers; only a body without a length goes to it.
  return async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next(); // a Request has no body for these
    const length = c.req.header("content-length");
    if (length === undefined || c.req.header("transfer-encoding") !== undefined) return streamed(c, next);
    return Number.parseInt(length, 10) > maxBytes ? tooLarge(c) : next();
  };
}
