// What Node's HTTP parser refuses before the app sees a request (a 60 KB header, Content-Length with
// Transfer-Encoding, bytes after the body, headers or a body that never finish) is answered with the
// error envelope, not a bare status line, and a slow client gets its 408 within the configured timeouts
// (Node's defaults took about 70 s). Raw sockets: fetch would refuse to send most of these.
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { ErrorEnvelopeSchema } from "@guidegate/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveNode } from "../../edge/src/node-server.ts";
import { testApp } from "../unit/edge/support.ts";

const HEADERS_TIMEOUT_MS = 600;
const REQUEST_TIMEOUT_MS = 1_200;
const t = testApp();
let server: ReturnType<typeof serveNode>;
let port = 0;

beforeAll(async () => {
  await new Promise<void>((ready) => {
    server = serveNode(
      t.app.fetch,
      { port: 0, hostname: "127.0.0.1", headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS },
      () => ready(),
    );
  });
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

/** Writes `parts` (waiting `gapMs` between them) and reads until the server closes; returns the raw answer. */
function raw(parts: string[], gapMs = 0): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const socket = connect(port, "127.0.0.1");
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (d) => (text += d));
    socket.on("error", (err) => (text ? resolve({ text, ms: Date.now() - t0 }) : reject(err)));
    socket.on("close", () => resolve({ text, ms: Date.now() - t0 }));
    socket.on("connect", async () => {
      for (const p of parts) {
        if (socket.destroyed) return;
        socket.write(p);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
  });
}

/** The last HTTP response in `text`: its status and envelope. */
function lastResponse(text: string) {
  const at = text.lastIndexOf("HTTP/1.1 ");
  const resp = text.slice(at);
  const status = Number(resp.slice(9, 12));
  const [head, body = ""] = resp.split("\r\n\r\n");
  return { status, head: head!.toLowerCase(), error: ErrorEnvelopeSchema.parse(JSON.parse(body)).error };
}

describe("parser-level rejects on Node", () => {
  it("a 60 KB header: 431 with the envelope", async () => {
    const r = await raw([`GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(60 * 1024)}\r\n\r\n`]);
    const res = lastResponse(r.text);
    expect(res.status).toBe(431);
    expect(res.head).toContain("content-type: application/json");
    expect(res.error).toMatchObject({ type: "request_too_large", code: "headers_too_large" });
  });

  it("Content-Length with Transfer-Encoding (request smuggling): 400 with the envelope", async () => {
    const body = '{"prompt":"x"}';
    const r = await raw([
      `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    ]);
    const res = lastResponse(r.text);
    expect(res.status).toBe(400);
    expect(res.error).toMatchObject({ type: "invalid_request_error", code: "malformed_http" });
  });

  it("bytes after the body that are no request: 400 with the envelope", async () => {
    const r = await raw(["GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n\u0001\u0002garbage that is not a request line\r\n\r\n"]);
    const res = lastResponse(r.text);
    expect(res.status).toBe(400);
    expect(res.error.code).toBe("malformed_http");
  });

  it("headers that never finish: 408 with the envelope, within the headers timeout", async () => {
    const r = await raw(["GET /v1/models HTTP/1.1\r\n", "Host: x\r\n", "X-Slow: 1\r\n", "X-Slow: 2\r\n"], 400);
    const res = lastResponse(r.text);
    expect(res.status).toBe(408);
    expect(res.error).toMatchObject({ type: "invalid_request_error", code: "request_timeout" });
    expect(r.ms).toBeLessThan(HEADERS_TIMEOUT_MS + 2_000);
  });

  it("a body that never finishes: 408 with the envelope, within the request timeout", async () => {
    // Authenticated, so the app waits for the body instead of answering 401 first.
    const head = `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${await t.token()}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`;
    const r = await raw([head, '{"pro', "mpt"], 500);
    const res = lastResponse(r.text);
    expect(res.status).toBe(408);
    expect(res.error.code).toBe("request_timeout");
    expect(r.ms).toBeLessThan(REQUEST_TIMEOUT_MS + 2_000);
  });

  it("a well-formed request on the same server is still served", async () => {
    const r = await raw(["GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]);
    expect(r.text.startsWith("HTTP/1.1 200")).toBe(true);
  });
});
