// Worker SSE -> validated JobEvents. Parsing is eventsource-parser's; we only validate. Its parser is fed
// straight from the body's reader: piping through TextDecoderStream and EventSourceParserStream cost two
// TransformStreams per dispatch and a chain of promises per chunk, which bench:gateway's profile showed
// among the edge's larger costs, for the same parser underneath.
import { type JobEvent, JobEventSchema } from "@guidegate/shared";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { WorkerProtocolError } from "./types.ts";

// Completed events may inline every image as base64; bound the buffer anyway.
const MAX_EVENT_CHARS = 64 * 1024 * 1024;

function toJobEvent(m: EventSourceMessage): JobEvent {
  let data: unknown;
  try {
    data = JSON.parse(m.data);
  } catch {
    throw new WorkerProtocolError("worker sent an event whose data is not JSON");
  }
  // The event name travels in `event:`; accept data that repeats it or leaves it out.
  const candidate = data && typeof data === "object" && !("event" in data) ? { ...data, event: m.event } : data;
  const parsed = JobEventSchema.safeParse(candidate);
  if (!parsed.success) throw new WorkerProtocolError(`worker sent an invalid ${m.event ?? "message"} event`);
  return parsed.data;
}

/** The body's chunks: a Web stream through its reader (Workers' streams need not be async-iterable). */
async function* chunksOf(body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (!(body instanceof ReadableStream)) return yield* body;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** `onId` hears each event's `id:` (the worker's sequence number) just before the event is yielded. */
export async function* jobEvents(
  body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
  onId?: (id: number) => void,
): AsyncGenerator<JobEvent> {
  const decoder = new TextDecoder();
  let messages: EventSourceMessage[] = [];
  let overflow = false;
  const parser = createParser({
    onEvent: (m) => messages.push(m),
    onError: (e) => {
      if (e.type === "max-buffer-size-exceeded") overflow = true;
    },
    maxBufferSize: MAX_EVENT_CHARS,
  });
  // At the end, an event cut off without its blank line is dropped, as EventSource does.
  for await (const chunk of chunksOf(body)) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    if (overflow) throw new WorkerProtocolError(`worker sent an event over ${MAX_EVENT_CHARS} characters`);
    const ready = messages;
    messages = [];
    for (const m of ready) {
      const e = toJobEvent(m);
      if (onId && m.id !== undefined && /^\d{1,15}$/.test(m.id)) onId(Number(m.id));
      yield e;
    }
  }
}
