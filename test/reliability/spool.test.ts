// The worker's spool and spooling store against a real s3rver in this process: images wait on disk
// while the store is down, put() returns only once the object exists, leftovers of a previous run go up.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageKey, tenantPrefix } from "../../gpu-worker/src/storage/keys.ts";
import { createS3Store } from "../../gpu-worker/src/storage/s3.ts";
import { Spool } from "../../gpu-worker/src/storage/spool.ts";
import { spoolingStore } from "../../gpu-worker/src/storage/spooling-store.ts";
import { type S3Handle, startS3 } from "@guidegate/stack";

let dir: string;
let s3: S3Handle;
const fast = { attempts: 2, retry: { baseMs: 10, maxMs: 50 }, drain: { baseMs: 50, maxMs: 200 } };
const store = () =>
  createS3Store({
    endpoint: s3.endpoint,
    region: "us-east-1",
    bucket: "guidegate-images",
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
    forcePathStyle: true,
    urlTtlSeconds: 60,
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gg-rel-spool-"));
  s3 = await startS3(join(dir, "s3"));
});
afterAll(async () => {
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("image keys", () => {
  it("keep a tenant inside one path segment and end in a random UUID", () => {
    expect(tenantPrefix("acme")).toBe("acme");
    expect(tenantPrefix("a/b")).toBe("a%2Fb");
    expect(tenantPrefix("..")).toBe("%2E%2E");
    expect(tenantPrefix("../../x y")).toBe("%2E%2E%2F%2E%2E%2Fx%20y");
    const k = imageKey("a/b", "job_1", 0, "png");
    expect(k).toMatch(/^a%2Fb\/job_1\/0-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.png$/);
    expect(imageKey("a", "job_1", 0, "png")).not.toBe(imageKey("a", "job_1", 0, "png"));
  });
});

describe("spool", () => {
  it("lists complete entries only, under names that carry no tenant text", async () => {
    const spool = new Spool(join(dir, "spool-a"));
    const e = await spool.add("../evil/tenant/key.png", new Uint8Array([1, 2, 3]), "image/png");
    writeFileSync(join(spool.dir, `${"f".repeat(64)}.json`), "{not json"); // a crash mid-add
    writeFileSync(join(spool.dir, `${"e".repeat(64)}.bin.tmp`), "x");
    const listed = await spool.list();
    expect(listed.map((x) => x.key)).toEqual(["../evil/tenant/key.png"]);
    expect(readdirSync(spool.dir).every((n) => /^[0-9a-f]{64}\.(bin|json)(\.tmp)?$/.test(n))).toBe(true);
    expect([...(await spool.read(e))]).toEqual([1, 2, 3]);
    await spool.remove(e);
    expect((await spool.list()).length).toBe(0);
  });

  it("holds an image while the store is down and resolves put() only once it is uploaded", async () => {
    const spool = new Spool(join(dir, "spool-b"));
    const s = spoolingStore(store(), spool, fast);
    await s3.stop();
    let uploaded = false;
    const put = s.put("tenant-b/job_1/0-x.png", new Uint8Array([9, 9, 9]), "image/png").then(() => {
      uploaded = true;
    });
    for (let i = 0; i < 100 && s.pending() === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(s.pending()).toBe(1);
    expect((await spool.list()).length).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(uploaded).toBe(false);
    await s3.start();
    await put;
    expect(s.pending()).toBe(0);
    expect((await spool.list()).length).toBe(0);
    const res = await fetch(await s.url("tenant-b/job_1/0-x.png"));
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([9, 9, 9]);
  });

  it("uploads what a previous run left in the spool when it resumes", async () => {
    const spoolDir = join(dir, "spool-c");
    mkdirSync(spoolDir, { recursive: true });
    await new Spool(spoolDir).add("tenant-c/job_2/0-y.png", new Uint8Array([7]), "image/png");
    const s = spoolingStore(store(), new Spool(spoolDir), fast);
    await s.resume();
    for (let i = 0; i < 100 && readdirSync(spoolDir).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(spoolDir)).toEqual([]);
    expect((await fetch(await s.url("tenant-c/job_2/0-y.png"))).status).toBe(200);
    expect(existsSync(spoolDir)).toBe(true);
  });
});
