// Over-limit uploads on a real Node socket with keep-alive: @hono/node-server answers 413 before
// reading the body and may close the socket; the 413 must say `connection: close` so the client
// does not reuse it (before the fix about half of 1 MiB uploads in a row failed "other side closed").
import { request, Agent } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testApp } from "../unit/edge/support.ts";

const t = testApp({ config: { bodyLimitBytes: 1024 } });
let server: ReturnType<typeof serve>;
let port = 0;

beforeAll(async () => {
  await new Promise<void>((ready) => {
    server = serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" }, () => ready());
  });
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

function upload(agent: Agent, body: Buffer): Promise<{ status: number; connection?: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/v1/images/generations",
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": body.length },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode!, connection: res.headers.connection, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("413 on Node with keep-alive", () => {
  it("answers every 1 MiB upload in a row with the envelope and connection: close, none reset", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const body = Buffer.alloc(1024 * 1024, "a");
    for (let k = 0; k < 8; k++) {
      const res = await upload(agent, body);
      expect(res.status).toBe(413);
      expect(res.connection).toBe("close");
      expect(JSON.parse(res.text).error.code).toBe("body_too_large");
    }
    agent.destroy();
  });
});
