// Worker SSE -> validated JobEvents. Parsing is eventsource-parser's; we only validate.
import { EventSourceParserStream } from "eventsource-parser/stream";
import { type JobEvent, JobEventSchema } from "@guidegate/shared";
import { WorkerProtocolError } from "./types.ts";

// Completed events may inline every image as base64; bound the buffer anyway.
const MAX_EVENT_CHARS = 64 * 1024 * 1024;

export async function* jobEvents(body: ReadableStream<BufferSource>): AsyncGenerator<JobEvent> {
  const reader = body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream({ maxBufferSize: MAX_EVENT_CHARS }))
    .getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      let data: unknown;
      try {
        data = JSON.parse(value.data);
      } catch {
        throw new WorkerProtocolError("worker sent an event whose data is not JSON");
      }
      // The event name travels in `event:`; accept data that repeats it or leaves it out.
      const candidate = data && typeof data === "object" && !("event" in data) ? { ...data, event: value.event } : data;
      const parsed = JobEventSchema.safeParse(candidate);
      if (!parsed.success) throw new WorkerProtocolError(`worker sent an invalid ${value.event ?? "message"} event`);
      yield parsed.data;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
