// The production sender on Node: its connector itself refuses non-public addresses, by name and by literal,
// so nothing that slips past the URL check (DNS rebinding) reaches a private service.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeSend, resolveWithDns } from "../../../edge/src/webhooks/node-net.ts";

let server: Server;
let port = 0;
let hits = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    hits++;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const post = { method: "POST", body: "{}" };

describe("Node webhook sender", () => {
  it("in production refuses a loopback name and a loopback literal at connect time", async () => {
    const send = nodeSend(false)!;
    for (const url of [`http://localhost:${port}/`, `http://127.0.0.1:${port}/`]) {
      const err = (await send(url, post).catch((e: unknown) => e)) as { cause?: { code?: string } };
      expect(err?.cause?.code, url).toBe("EADDRREFUSED");
    }
    expect(hits).toBe(0);
  });

  it("in development is plain fetch, and resolves names with node:dns", async () => {
    expect(nodeSend(true)).toBeUndefined();
    expect((await fetch(`http://127.0.0.1:${port}/`, post)).status).toBe(200);
    expect(await resolveWithDns("localhost")).toContain("127.0.0.1");
  });
});
