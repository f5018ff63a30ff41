// requestBodyLimit(): hono's bodyLimit (counts streamed bodies too) answering with our 413 envelope.
import { getRuntimeKey } from "hono/adapter";
import { bodyLimit } from "hono/body-limit";
import { ApiError, errorResponse } from "../errors.ts";

export function requestBodyLimit(maxBytes: number) {
  if (!Number.isInteger(maxBytes) || maxBytes <= 0)
    throw new Error("requestBodyLimit: maxBytes must be a positive integer");
  // @hono/node-server answers before reading the rest of the body and may then close the socket
  // under a keep-alive client's next request; telling the client to close avoids that reuse.
  const closeAfter = getRuntimeKey() === "node";
  return bodyLimit({
    maxSize: maxBytes,
    onError: () =>
      errorResponse(
        new ApiError("request_too_large", "body_too_large", `The request body exceeds ${maxBytes} bytes.`, {
          headers: closeAfter ? { connection: "close" } : {},
        }),
      ),
  });
}
