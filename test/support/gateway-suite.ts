// The gateway integration suite, run against a real stack (s3rver, a gpu-worker process,
// the edge on a given runtime). Each runtime's test file calls it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { USAGE_CSV_COLUMNS } from "@guidegate/shared";
import { parse } from "csv-parse/sync";
import OpenAI, { toFile } from "openai";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintDevToken } from "../../edge/src/auth/dev-token.ts";
import { type EdgeRuntime, type Stack, startStack } from "@guidegate/stack";
import { readSse, type SseEvent } from "./sse.ts";

const ADMIN_TOKEN = "admin-token-for-the-gateway-suite-0123456789";

export function gatewaySuite(runtime: EdgeRuntime): void {
  describe(`gateway on ${runtime}`, () => {
    let dir: string;
    let stack: Stack;
    let n = 0;
    const tenant = () => `${runtime}-tenant-${++n}-${Date.now()}`;
    const auth = async (sub: string, tier = "pro") => ({
      authorization: `Bearer ${await mintDevToken({ sub, tier })}`,
      "content-type": "application/json",
    });
    const post = async (path: string, sub: string, body: unknown, extra: Record<string, string> = {}) =>
      fetch(`${stack.edgeUrl}${path}`, {
        method: "POST",
        headers: { ...(await auth(sub)), ...extra },
        body: JSON.stringify(body),
      });
    const isPng = async (url: string) => {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      return sharp(Buffer.from(await res.arrayBuffer())).metadata();
    };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), `gg-${runtime}-`));
      stack = await startStack({
        dataDir: dir,
        edgeRuntime: runtime,
        edgeEnv: { GG_KEEPALIVE_MS: "1000", GG_ADMIN_TOKEN: ADMIN_TOKEN },
      });
    });
    afterAll(async () => {
      await stack?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("an API key made by the admin API works, is refused on the next request once revoked, and both are audited", async () => {
      const sub = tenant();
      const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
      const created = await fetch(`${stack.edgeUrl}/v1/admin/tenants/${sub}/keys`, {
        method: "POST",
        headers: admin,
        body: JSON.stringify({ tier: "standard", name: "ci" }),
      });
      expect(created.status).toBe(201);
      const { id, key } = (await created.json()) as { id: string; key: string };
      const withKey = { authorization: `Bearer ${key}` };
      expect((await fetch(`${stack.edgeUrl}/v1/usage`, { headers: withKey })).status).toBe(200);
      // A tenant's own credential is no admin credential.
      expect((await fetch(`${stack.edgeUrl}/v1/admin/audit`, { headers: withKey })).status).toBe(403);
      expect((await fetch(`${stack.edgeUrl}/v1/admin/audit`, { headers: await auth(sub) })).status).toBe(403);
      const revoked = await fetch(`${stack.edgeUrl}/v1/admin/tenants/${sub}/keys/${id}`, {
        method: "DELETE",
        headers: admin,
      });
      expect(revoked.status).toBe(200);
      const refused = await fetch(`${stack.edgeUrl}/v1/usage`, { headers: withKey });
      expect(refused.status).toBe(401);
      const audit = (await (await fetch(`${stack.edgeUrl}/v1/admin/audit?limit=500`, { headers: admin })).json()) as {
        data: { action: string; tenant: string | null; target: string | null }[];
      };
      const mine = audit.data.filter((e) => e.tenant === sub).map((e) => [e.action, e.target]);
      expect(mine).toEqual([
        ["api_key.create", id],
        ["api_key.revoke", id],
      ]);
    });

    it("answers a synchronous generation with a downloadable PNG and its usage", async () => {
      const sub = tenant();
      const res = await post("/v1/images/generations", sub, {
        prompt: "a large red circle on a blue background",
        seed: 7,
        steps: 10,
        guidance: { policy: "cfg", scale: 2 },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        id: string;
        seed: number;
        data: { url: string }[];
        usage: { nfe: number; cost_micro_usd: number };
      };
      expect(body.seed).toBe(7);
      expect(body.usage.nfe).toBe(20);
      expect(body.usage.cost_micro_usd).toBe(20 * 50);
      expect(await isPng(body.data[0]!.url)).toMatchObject({ format: "png", width: 32, height: 32 });
      const usage = (await (await fetch(`${stack.edgeUrl}/v1/usage`, { headers: await auth(sub) })).json()) as Record<
        string,
        number
      >;
      expect(usage).toMatchObject({ used_nfe: 20, reserved_nfe: 0, cost_micro_usd: 20 * 50 });
      // The month's CSV export, its CSV writer bundled for this runtime: the job, at the cost usage reports.
      const csv = await fetch(`${stack.edgeUrl}/v1/usage/export.csv`, { headers: await auth(sub) });
      const [header, ...rows] = parse(await csv.text()) as string[][];
      expect(header).toEqual([...USAGE_CSV_COLUMNS]);
      expect(rows.map((r) => [r[0], r[2], r[3], r[4], r[6]])).toEqual([[body.id, "pro", "cfg", "20", String(20 * 50)]]);
    });

    it("works with the official openai SDK, without and with streaming", async () => {
      const client = new OpenAI({
        apiKey: await mintDevToken({ sub: tenant(), tier: "pro" }),
        baseURL: `${stack.edgeUrl}/v1`,
        maxRetries: 0,
      });
      const plain = await client.images.generate({
        model: "shapes-32",
        prompt: "a small green square on a white background",
        size: "32x32" as never,
      });
      expect(await isPng(plain.data![0]!.url!)).toMatchObject({ format: "png" });

      const stream = await client.images.generate({
        model: "shapes-32",
        prompt: "a large yellow triangle on a black background",
        stream: true,
        partial_images: 2,
      } as never);
      const types: string[] = [];
      let completed: { b64_json?: string } | null = null;
      for await (const event of stream as unknown as AsyncIterable<{ type: string; b64_json?: string }>) {
        types.push(event.type);
        if (event.type === "image_generation.completed") completed = event;
      }
      expect(types.filter((t) => t === "image_generation.partial_image").length).toBeGreaterThanOrEqual(1);
      expect(types.at(-1)).toBe("image_generation.completed");
      const png = await sharp(Buffer.from(completed!.b64_json!, "base64")).metadata();
      expect(png).toMatchObject({ format: "png", width: 32, height: 32 });
    });

    it("edits with the official openai SDK: a mask keeps its region exactly, half the strength bills half", async () => {
      const client = new OpenAI({
        apiKey: await mintDevToken({ sub: tenant(), tier: "pro" }),
        baseURL: `${stack.edgeUrl}/v1`,
        maxRetries: 0,
      });
      const ours = { steps: 10, seed: 5, guidance: JSON.stringify({ policy: "cfg", scale: 2 }) };
      const made = await client.images.generate({
        model: "shapes-32",
        prompt: "a large red circle on a blue background",
        response_format: "b64_json",
        ...ours,
        guidance: { policy: "cfg", scale: 2 },
      } as never);
      const source = Buffer.from(made.data![0]!.b64_json!, "base64");
      const alpha = Buffer.from(
        Array.from({ length: 32 * 32 * 4 }, (_, i) => (i % 4 < 3 ? 0 : (i / 4) % 32 < 16 ? 255 : 0)),
      );
      const mask = await sharp(alpha, { raw: { width: 32, height: 32, channels: 4 } })
        .png()
        .toBuffer();
      const edit = await client.images.edit({
        model: "shapes-32",
        prompt: "a small green square on a white background",
        image: await toFile(source, "source.png", { type: "image/png" }),
        mask: await toFile(mask, "mask.png", { type: "image/png" }),
        response_format: "b64_json",
        ...({ ...ours, strength: 0.5 } as object),
      });
      expect((edit as unknown as { usage: { nfe: number } }).usage.nfe).toBe(10); // 5 of 10 steps, 2 branches
      const rgb = async (png: Buffer) => sharp(png).removeAlpha().raw().toBuffer();
      const [src, out] = [await rgb(source), await rgb(Buffer.from(edit.data![0]!.b64_json!, "base64"))];
      for (let p = 0; p < 32 * 32; p++)
        if (p % 32 < 16) expect(out.subarray(p * 3, p * 3 + 3)).toEqual(src.subarray(p * 3, p * 3 + 3));

      const stream = await client.images.edit({
        model: "shapes-32",
        prompt: "a blue cross",
        image: await toFile(source, "s.png", { type: "image/png" }),
        stream: true,
        partial_images: 1,
        ...(ours as object),
      });
      const types: string[] = [];
      for await (const event of stream) types.push(event.type);
      expect(types.at(-1)).toBe("image_edit.completed");
    });

    it("replays a job's events after Last-Event-ID: every event once, in order, ending completed", async () => {
      const sub = tenant();
      const created = await post("/v1/jobs", sub, {
        prompt: "a small orange cross on a purple background",
        steps: 30,
        preview_every: 5,
        guidance: { policy: "cfg", scale: 2 },
      });
      expect(created.status).toBe(202);
      const job = (await created.json()) as { id: string; events_url: string };
      const headers = await auth(sub);
      const first = await readSse(
        await fetch(`${stack.edgeUrl}/v1/jobs/${job.id}/events`, { headers }),
        (e) => e.event === "progress" && Number(e.data.step) >= 4,
      );
      const lastId = first.at(-1)!.id!;
      const rest = await readSse(
        await fetch(`${stack.edgeUrl}/v1/jobs/${job.id}/events`, { headers: { ...headers, "last-event-id": lastId } }),
      );
      const all: SseEvent[] = [...first, ...rest];
      const ids = all.map((e) => Number(e.id));
      expect(ids).toEqual(ids.map((_, i) => ids[0]! + i)); // consecutive, no gap, no duplicate
      expect(all.at(-1)!.event).toBe("completed");
      expect(all.filter((e) => e.event === "completed").length).toBe(1);
      const steps = all.filter((e) => e.event === "progress").map((e) => Number(e.data.step));
      expect(steps).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      const status = (await (await fetch(`${stack.edgeUrl}/v1/jobs/${job.id}`, { headers })).json()) as {
        status: string;
      };
      expect(status.status).toBe("completed");
      // Another tenant sees nothing.
      expect((await fetch(`${stack.edgeUrl}/v1/jobs/${job.id}`, { headers: await auth(tenant()) })).status).toBe(404);
    });

    it("bills exactly the NFEs the workers reported, across completed and cancelled jobs", async () => {
      const sub = tenant();
      const headers = await auth(sub);
      let reported = 0;
      for (const guidance of [{ policy: "none" }, { policy: "cfg", scale: 2 }, { policy: "linear_ag" }]) {
        const res = await post("/v1/images/generations", sub, {
          prompt: "a large white circle on a green background",
          steps: 12,
          guidance,
        });
        reported += ((await res.json()) as { usage: { nfe: number } }).usage.nfe;
      }
      const created = (await (
        await post("/v1/jobs", sub, {
          prompt: "a large black square on a yellow background",
          steps: 150,
          guidance: { policy: "cfg", scale: 2 },
        })
      ).json()) as { id: string };
      const events = await readSse(
        await fetch(`${stack.edgeUrl}/v1/jobs/${created.id}/events`, { headers }),
        (e) => e.event === "progress" && Number(e.data.step) >= 3,
      );
      expect(events.length).toBeGreaterThan(0);
      expect((await post(`/v1/jobs/${created.id}/cancel`, sub, {})).status).toBeLessThan(300);
      const tail = await readSse(await fetch(`${stack.edgeUrl}/v1/jobs/${created.id}/events`, { headers }));
      const end = tail.at(-1)!;
      expect(end.event).toBe("cancelled");
      const spent = (end.data as { usage: { nfe: number } }).usage.nfe;
      expect(spent).toBeGreaterThan(0);
      expect(spent).toBeLessThan(300);
      reported += spent;
      const usage = (await (await fetch(`${stack.edgeUrl}/v1/usage`, { headers })).json()) as {
        used_nfe: number;
        reserved_nfe: number;
      };
      expect(usage.used_nfe).toBe(reported);
      expect(usage.reserved_nfe).toBe(0);
    });

    it("rejects bad input with the error envelope naming the field, and bad tokens with 401", async () => {
      const sub = tenant();
      const bad = await post("/v1/images/generations", sub, { prompt: "a red circle", steps: "many" });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: { type: "invalid_request_error", param: "steps" } });
      const noAuth = await fetch(`${stack.edgeUrl}/v1/images/generations`, {
        method: "POST",
        headers: { authorization: "Bearer nope" },
        body: "{}",
      });
      expect(noAuth.status).toBe(401);
      expect(((await noAuth.json()) as { error: { type: string } }).error.type).toBe("authentication_error");
    });
  });
}
