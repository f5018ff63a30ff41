// The worker's event stream as the pool reads it (edge/src/pool/sse.ts): eventsource-parser fed from the
// body's reader, whatever the chunking, then validated against the contract.
import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jobEvents } from "../../../edge/src/pool/sse.ts";
import { WorkerProtocolError } from "../../../edge/src/pool/types.ts";

const STREAM =
  'id: 1\nevent: started\ndata: {"event":"started","policy":"cfg","steps":2,"seed":7,"max_nfe":4}\n\n' +
  ": keep-alive\n\n" +
  'id: 2\nevent: progress\ndata: {"step":1,"steps":2,"nfe":2}\n\n' + // the name only in `event:`
  'id: 3\nevent: completed\ndata: {"event":"completed","images":[{"url":"ü/é.png","width":32,"height":32}],"seed":7,"usage":{"nfe":4}}\n\n';

/** `text` as a body cut into chunks at the given byte offsets (UTF-8 characters may be split). */
function body(text: string, cuts: number[] = []): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  const at = [...new Set(cuts.map((c) => c % bytes.length))].sort((a, b) => a - b);
  const chunks = [0, ...at].map((start, i) => bytes.slice(start, at[i] ?? bytes.length)).filter((c) => c.length > 0);
  return new ReadableStream({
    pull(controller) {
      const next = chunks.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

/** The same chunks as a Node stream (undici's request() body). */
async function nodeBody(stream: ReadableStream<Uint8Array>): Promise<AsyncIterable<Uint8Array>> {
  const chunks: Uint8Array[] = [];
  for await (const c of stream as unknown as AsyncIterable<Uint8Array>) chunks.push(c);
  return Readable.from(chunks.map((c) => Buffer.from(c)));
}

async function collect(stream: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>) {
  const out = [];
  for await (const e of jobEvents(stream)) out.push(e);
  return out;
}

describe("worker SSE", () => {
  it("yields the contract's events, whatever the chunking", async () => {
    const whole = await collect(body(STREAM));
    expect(whole.map((e) => e.event)).toEqual(["started", "progress", "completed"]);
    expect(whole[2]).toMatchObject({ images: [{ url: "ü/é.png" }] });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 12 }), async (cuts) => {
        expect(await collect(body(STREAM, cuts))).toEqual(whole);
        expect(await collect(await nodeBody(body(STREAM, cuts)))).toEqual(whole);
      }),
      { numRuns: 150 },
    );
  });

  it("refuses data that is not JSON, or not an event of the contract", async () => {
    await expect(collect(body("event: progress\ndata: {oops\n\n"))).rejects.toBeInstanceOf(WorkerProtocolError);
    await expect(collect(body('event: progress\ndata: {"step":"one"}\n\n'))).rejects.toBeInstanceOf(
      WorkerProtocolError,
    );
  });

  it("drops an event cut off before its blank line, as EventSource does", async () => {
    const cut = await collect(body('event: progress\ndata: {"step":1,"steps":2,"nfe":2}\n'));
    expect(cut).toEqual([]);
  });
});
