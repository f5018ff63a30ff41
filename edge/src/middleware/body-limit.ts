// requestBodyLimit(): hono's bodyLimit (counts streamed bodies too) answering with our 413 envelope.
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../errors.ts";

export function requestBodyLimit(maxBytes: number) {
  if (!Number.isInteger(maxBytes) || maxBytes <= 0)
    throw new Error("requestBodyLimit: maxBytes must be a positive integer");
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError("request_too_large", "body_too_large", `The request body exceeds ${maxBytes} bytes.`);
    },
  });
}
