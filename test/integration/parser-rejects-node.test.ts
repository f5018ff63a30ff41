// What Node's HTTP parser refuses before the app sees a request (a 60 KB header, Content-Length with
// Transfer-Encoding, bytes after the request, headers or a body that never finish) is answered with the
// error envelope, not a bare status line, and a slow client gets its 408 within the configured timeouts
// (Node's defaults took about 70 s). Raw sockets (bench/lib/reliability/parser.ts): fetch would refuse
// to send most of these. The hostile suite runs the same cases against the edge process.
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lastResponse, parserCases, rawHttp } from "../../bench/lib/reliability/parser.ts";
import { serveNode } from "../../edge/src/node-server.ts";
import { testApp } from "../unit/edge/support.ts";

const HEADERS_TIMEOUT_MS = 600;
const REQUEST_TIMEOUT_MS = 1_200;
const t = testApp();
let server: ReturnType<typeof serveNode>;
let port = 0;
let token = "";

beforeAll(async () => {
  token = await t.token();
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

describe("parser-level rejects on Node", () => {
  // Named from a token-less list; each case is built again once beforeAll has minted the token.
  for (const { name, status } of parserCases(""))
    it(`${name}: ${status} with the envelope`, async () => {
      const c = parserCases(token).find((x) => x.name === name)!;
      const r = await rawHttp(port, c.parts, c.gapMs);
      const res = lastResponse(r.text);
      expect(res.status).toBe(c.status);
      expect(res.head).toContain("content-type: application/json");
      expect(res.code).toBe(c.code);
      if (c.status === 408) expect(r.ms).toBeLessThan(REQUEST_TIMEOUT_MS + 2_000);
    });

  it("a well-formed request on the same server is still served", async () => {
    const r = await rawHttp(port, ["GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]);
    expect(r.text.startsWith("HTTP/1.1 200")).toBe(true);
  });
});
