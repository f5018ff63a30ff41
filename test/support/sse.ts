// Reads a whole SSE response with eventsource-parser into events (id, event, parsed data).
import { createParser } from "eventsource-parser";

export interface SseEvent {
  id?: string;
  event?: string;
  data: Record<string, unknown>;
}

export async function readSse(
  res: Response,
  onEvent?: (e: SseEvent, all: SseEvent[]) => boolean | undefined,
): Promise<SseEvent[]> {
  if (!res.body) throw new Error(`no body (status ${res.status})`);
  const events: SseEvent[] = [];
  let stop = false;
  const parser = createParser({
    onEvent(ev) {
      const e = { id: ev.id, event: ev.event, data: JSON.parse(ev.data) as Record<string, unknown> };
      events.push(e);
      if (onEvent?.(e, events)) stop = true;
    },
  });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  while (!stop) {
    const { done, value } = await reader.read();
    if (done) break;
    parser.feed(decoder.decode(value, { stream: true }));
  }
  if (stop) await reader.cancel();
  return events;
}
