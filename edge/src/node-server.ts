// The Node listener for the edge app: @hono/node-server plus what only node:http can do. Requests its
// parser refuses (oversized headers, Content-Length with Transfer-Encoding, bytes that are no request)
// and clients too slow to send headers or a body never reach the app; Node would answer them with a bare
// status line, so they get the error envelope here, and the timeouts are short enough to mean something.
import { type Server, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { serve } from "@hono/node-server";
import { ApiError, envelope, invalidRequest } from "./errors.ts";

export interface NodeServerOptions {
  port: number;
  hostname: string;
  /** Headers must be complete this long after the connection's request began (408 after). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this (408 after). */
  requestTimeoutMs: number;
}

/** The envelope for a parser error code (llhttp's HPE_* or Node's own). */
function parserError(code: string | undefined): ApiError {
  if (code === "HPE_HEADER_OVERFLOW")
    return new ApiError("request_too_large", "headers_too_large", "The request headers are too large.", {
      status: 431,
    });
  if (code === "ERR_HTTP_REQUEST_TIMEOUT")
    return new ApiError("invalid_request_error", "request_timeout", "The request did not arrive in time.", {
      status: 408,
    });
  return invalidRequest("malformed_http", "The request is not valid HTTP/1.1.");
}

/** The envelope as a raw HTTP/1.1 response that closes the connection. */
function rawResponse(e: ApiError): string {
  const body = JSON.stringify(envelope(e));
  const head = [
    `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? ""}`,
    "Content-Type: application/json; charset=UTF-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
  ];
  return `${head.join("\r\n")}\r\n\r\n${body}`;
}

type InFlight = {
  headersSent?: boolean;
  writableFinished?: boolean;
  once(event: "finish" | "close", fn: () => void): unknown;
};

/** node:http's `clientError`: answer with the envelope after any response already on the wire, then close. */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const answer = () => {
    if (socket.writable) socket.end(rawResponse(parserError(err.code)));
    else socket.destroy();
  };
  // Bytes after a good request (pipelined junk) fail while that request's response is still to be written:
  // it goes first. A request that timed out has no response of its own coming.
  const inFlight = (socket as Duplex & { _httpMessage?: InFlight | null })._httpMessage;
  const ownTimeout = err.code === "ERR_HTTP_REQUEST_TIMEOUT" && !inFlight?.headersSent;
  if (!inFlight || inFlight.writableFinished || ownTimeout) {
    answer();
    return;
  }
  inFlight.once("finish", answer);
  inFlight.once("close", () => socket.destroy());
}

export function serveNode(
  fetch: (req: Request) => Response | Promise<Response>,
  o: NodeServerOptions,
  onListen: (info: { port: number }) => void,
): Server {
  const headersTimeout = Math.min(o.headersTimeoutMs, o.requestTimeoutMs); // node:http refuses it larger
  const serverOptions = {
    headersTimeout,
    requestTimeout: o.requestTimeoutMs,
    // Node checks the two timeouts only this often (30 s by default, hence 408s after ~70 s).
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(headersTimeout / 4))),
  };
  const server = serve({ fetch, port: o.port, hostname: o.hostname, serverOptions }, onListen) as Server;
  server.on("clientError", answerClientError);
  return server;
}
