// The gpu-worker as a real process: real ONNX inference on the embedded model, real SSE,
// real S3 (s3rver), real internal JWTs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFrontier } from "@guidegate/gpu-worker";
import { POLICY_NAMES } from "@guidegate/shared";
import {
  DEFAULT_MODEL,
  type S3Handle,
  type Service,
  spawnTs,
  startS3,
  freePort,
  DEV_INTERNAL_SECRET,
} from "@guidegate/stack";
import { health } from "../../bench/lib/reliability/probes.ts";
import { internalToken } from "../support/internal-token.ts";
import { readSse } from "../support/sse.ts";

let dir: string;
let s3: S3Handle;
let worker: Service;

const job = (over: Record<string, unknown> = {}) => ({
  job_id: `job_${Math.random().toString(36).slice(2, 12)}`,
  tenant: "tenant-a",
  model: "shapes-32",
  prompt: "a large red circle on a blue background",
  n: 1,
  width: 32,
  height: 32,
  steps: 8,
  seed: 7,
  guidance: { policy: "cfg", scale: 2 },
  max_nfe: 16,
  preview_every: 2,
  ...over,
});

async function post(body: Record<string, unknown>, token?: string) {
  return fetch(`${worker.url}/internal/jobs`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${token ?? (await internalToken(String(body.job_id)))}`,
    },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gg-worker-"));
  s3 = await startS3(join(dir, "s3"));
  const port = await freePort();
  const { proc, output } = spawnTs(
    "gpu-worker/src/main.ts",
    {
      GG_WORKER_PORT: String(port),
      GG_MODEL_DIRS: DEFAULT_MODEL,
      GG_S3_ENDPOINT: s3.endpoint,
      GG_INTERNAL_SECRET: DEV_INTERNAL_SECRET,
      GG_SPOOL_DIR: join(dir, "spool"),
    },
    "worker",
    true,
  );
  worker = { url: `http://127.0.0.1:${port}`, port, proc, env: {}, output };
  for (let i = 0; i < 400; i++) {
    if (proc.exitCode !== null) throw new Error(output.join(""));
    if (
      await fetch(`${worker.url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`worker did not start: ${output.join("")}`);
});

afterAll(async () => {
  worker?.proc.kill("SIGTERM");
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("gpu-worker internal API", () => {
  it("reports health with capacity and queue depth", async () => {
    const h = (await health(worker.url)) as unknown as Record<string, unknown>; // with the edge's health token
    expect(h).toMatchObject({ ok: true, running: 0, queued: 0 });
    // The edge learns what exists from this: shapes-32 at its one size, every policy (it has PAG's hook),
    // and its calibrated frontier's points.
    const frontier = readFrontier(DEFAULT_MODEL);
    expect(h.models).toEqual([
      {
        id: "shapes-32",
        sizes: ["32x32"],
        policies: [...POLICY_NAMES],
        negative_prompt: true,
        ...(frontier ? { frontier } : {}),
      },
    ]);
    expect(h.capacity).toBeGreaterThan(0);
  });

  it("has no /metrics when started without GG_METRICS_TOKEN", async () => {
    const res = await fetch(`${worker.url}/metrics`);
    expect(res.status).toBe(404);
  });

  it("streams started, progress with exact NFEs, previews and a completed image stored in S3", async () => {
    const res = await post(job());
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const events = await readSse(res);
    const names = events.map((e) => e.event);
    expect(names[0]).toBe("started");
    expect(names.at(-1)).toBe("completed");
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i + 1));
    const progress = events.filter((e) => e.event === "progress").map((e) => e.data);
    expect(progress.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(progress.map((p) => p.nfe)).toEqual([2, 4, 6, 8, 10, 12, 14, 16]); // CFG: 2 per step
    expect(names.filter((n) => n === "preview").length).toBe(3); // steps 2, 4, 6
    const done = events.at(-1)!.data as { images: { url: string; key: string }[]; usage: { nfe: number } };
    expect(done.usage.nfe).toBe(16);
    expect(done.images[0]!.key.startsWith("tenant-a/")).toBe(true);
    const png = Buffer.from(await (await fetch(done.images[0]!.url)).arrayBuffer());
    const meta = await sharp(png).metadata();
    expect(meta).toMatchObject({ format: "png", width: 32, height: 32 });
  });

  it("gives the same image for the same seed", async () => {
    const a = await readSse(await post(job({ response_format: "b64_json", preview_every: undefined })));
    const b = await readSse(await post(job({ response_format: "b64_json", preview_every: undefined })));
    const img = (ev: typeof a) => (ev.at(-1)!.data as { images: { b64_json: string }[] }).images[0]!.b64_json;
    expect(img(a)).toBe(img(b));
    const c = await readSse(await post(job({ response_format: "b64_json", seed: 8 })));
    expect(img(c)).not.toBe(img(a));
  });

  it("edits a 64x64 source resized to the model's size, running ceil(strength × steps) steps", async () => {
    const src = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#2040c0" } })
      .png()
      .toBuffer();
    const events = await readSse(
      await post(job({ init_images: [src.toString("base64")], strength: 0.5, response_format: "b64_json" })),
    );
    expect(events.filter((e) => e.event === "progress").map((e) => e.data.steps)).toEqual([4, 4, 4, 4]);
    expect(events.at(-1)).toMatchObject({ event: "completed", data: { usage: { nfe: 8 } } });
  });

  it("fails an edit whose image does not decode as a bad image, spending nothing", async () => {
    const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: "#000" } })
      .png()
      .toBuffer();
    const corrupt = Buffer.concat([png.subarray(0, 33), Buffer.alloc(64, 7)]); // a valid header, then garbage
    const events = await readSse(await post(job({ init_images: [corrupt.toString("base64")], strength: 0.5 })));
    expect(events.at(-1)).toMatchObject({
      event: "failed",
      data: { error: { code: "invalid_image", param: "image" }, usage: { nfe: 0 } },
    });
  });

  it("refuses an edit's strength without its image", async () => {
    const lone = await post(job({ strength: 0.5 }));
    expect(await lone.json()).toMatchObject({ error: { param: "init_images" } });
  });

  it("refuses requests without a valid internal token", async () => {
    const body = job();
    expect((await post(body, "not-a-token")).status).toBe(401);
    expect(
      (await post(body, await internalToken(body.job_id, { secret: "another-secret-of-enough-length" }))).status,
    ).toBe(401);
    expect((await post(body, await internalToken(body.job_id, { audience: "someone-else" }))).status).toBe(401);
    expect((await post(body, await internalToken("job_otherjob1"))).status).toBe(401);
  });

  it("rejects a job the model cannot run with a 400 envelope", async () => {
    const res = await post(job({ width: 64, height: 64 }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: "invalid_request_error", param: "size" } });
  });

  it("cancels at the next step when the stream is closed and reports what it spent", async () => {
    const body = job({ steps: 200, max_nfe: 400 });
    const res = await post(body);
    const seen = await readSse(res, (e) => e.event === "progress" && Number(e.data.step) >= 3);
    expect(seen.at(-1)!.event).toBe("progress");
    // The worker's own record of the job: it must end cancelled well before 200 steps.
    const status = (await (
      await fetch(`${worker.url}/internal/jobs/${body.job_id}?wait_ms=5000`, {
        headers: { authorization: `Bearer ${await internalToken(body.job_id)}` },
      })
    ).json()) as { status: string; step: number; nfe: number; terminal: { event: string; usage: { nfe: number } } };
    expect(status.terminal.event).toBe("cancelled");
    const spent = status.terminal.usage.nfe;
    expect(spent).toBeLessThan(400);
    expect(spent).toBe(status.nfe);
    expect(spent).toBe(2 * status.step); // CFG: exactly 2 NFE per step that ran
  });
  it("keeps a detached job running and resumes its stream exactly after Last-Event-ID", async () => {
    const body = job({ steps: 24, max_nfe: 48, detach_grace_ms: 30_000 });
    const first = await readSse(await post(body), (e) => e.event === "progress" && Number(e.data.step) >= 3);
    const lastId = Number(first.at(-1)!.id);
    // Re-attach, as an edge that restarted does: every later event once, ending with the terminal one.
    const res = await fetch(`${worker.url}/internal/jobs`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${await internalToken(body.job_id)}`,
        "last-event-id": String(lastId),
      },
      body: JSON.stringify(body),
    });
    const rest = await readSse(res);
    const ids = rest.map((e) => Number(e.id));
    expect(ids[0]).toBe(lastId + 1);
    expect(ids).toEqual(ids.map((_, i) => lastId + 1 + i));
    const end = rest.at(-1)!;
    expect(end.event).toBe("completed");
    expect((end.data.usage as { nfe: number }).nfe).toBe(48); // ran to the end, not cancelled by the first close
  });

  it("cancels a detached job when no stream re-attaches within its grace", async () => {
    const body = job({ steps: 400, max_nfe: 800, detach_grace_ms: 300 });
    await readSse(await post(body), (e) => e.event === "progress" && Number(e.data.step) >= 2);
    const status = (await (
      await fetch(`${worker.url}/internal/jobs/${body.job_id}?wait_ms=8000`, {
        headers: { authorization: `Bearer ${await internalToken(body.job_id)}` },
      })
    ).json()) as { terminal: { event: string; usage: { nfe: number } } };
    expect(status.terminal.event).toBe("cancelled");
    expect(status.terminal.usage.nfe).toBeLessThan(800);
  });

  it("answers 404 to a re-attach for a job it does not know, instead of running it", async () => {
    const body = job();
    const res = await fetch(`${worker.url}/internal/jobs`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${await internalToken(body.job_id)}`,
        "last-event-id": "5",
      },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("job_not_found");
  });
});
