// One failed generation followed through the real stack (Node edge, one worker, s3rver): the client's
// x-request-id comes back in its error envelope and appears in the edge's and the worker's structured log lines
// (their captured stdout/stderr), with the trace the client started. The failure is real: an edit whose PNG header
// is valid (the edge accepts it) but whose image data is not (the worker cannot decode it).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintDevToken } from "../../edge/src/auth/dev-token.ts";
import { type Stack, startStack } from "@guidegate/stack";

interface LogLine {
  level: string;
  message: string;
  logger: string;
  properties: Record<string, unknown>;
}

/** The JSON log lines in a service's captured output (other lines, such as the worker's ready line, skipped). */
function logLines(output: string[]): LogLine[] {
  return output
    .join("")
    .split("\n")
    .flatMap((l) => {
      try {
        const v = JSON.parse(l) as LogLine;
        return v && typeof v === "object" && "level" in v && "properties" in v ? [v] : [];
      } catch {
        return [];
      }
    });
}

async function waitFor<T>(get: () => T[], minCount: number, timeoutMs = 10_000): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v.length >= minCount || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A 32×32 PNG whose header and chunk layout are intact but whose compressed pixels are garbage. */
async function undecodablePng(): Promise<Buffer> {
  const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: "#3366cc" } })
    .png()
    .toBuffer();
  const idat = png.indexOf("IDAT");
  for (let i = idat + 6; i < png.length - 16; i++) png[i] = (png[i]! * 31 + 7) & 0xff;
  return png;
}

describe("a request id through edge and worker logs", () => {
  let dir: string;
  let stack: Stack;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gg-trace-"));
    stack = await startStack({ dataDir: dir, edgeRuntime: "node", workers: 1 });
  }, 180_000);
  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is in the client's error, the edge's log and the worker's log of a failed generation", async () => {
    const requestId = `it-${Date.now()}-failed-edit`;
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const form = new FormData();
    form.set("prompt", "a small green square");
    form.set("image", new Blob([new Uint8Array(await undecodablePng())], { type: "image/png" }), "broken.png");
    const res = await fetch(`${stack.edgeUrl}/v1/images/edits`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${await mintDevToken({ sub: "trace-tenant", tier: "pro" })}`,
        "x-request-id": requestId,
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      },
      body: form,
    });
    const body = (await res.json()) as { error: { code: string; request_id: string } };
    expect(res.status).toBe(400);
    expect(body.error.code).toBe("invalid_image");
    expect(body.error.request_id).toBe(requestId);
    expect(res.headers.get("x-request-id")).toBe(requestId);

    const ours = (l: LogLine) => l.properties.request_id === requestId;
    const edgeLines = await waitFor(() => logLines(stack.edge.output).filter(ours), 1);
    expect(edgeLines.map((l) => l.logger)).toContain("guidegate.edge");
    expect(edgeLines.some((l) => l.properties.status === 400 && l.properties.trace_id === traceId)).toBe(true);

    const workerLines = await waitFor(() => logLines(stack.workers[0]!.output).filter(ours), 2);
    expect(workerLines.every((l) => l.logger === "guidegate.worker" && l.properties.trace_id === traceId)).toBe(true);
    const failed = workerLines.find((l) => /generation failed/.test(l.message));
    expect(failed?.level).toBe("WARN");
    expect(failed?.properties.code).toBe("invalid_image");
  });
});
