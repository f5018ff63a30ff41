// Follow a job's native event stream and check it: ids consecutive from the first one seen,
// exactly one terminal event and nothing after it. Used by the fault scenarios and the load harness.
import { createParser } from "eventsource-parser";

export interface StreamEvent {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

export interface StreamCheck {
  /** Missing ids (a gap) or ids out of order: both mean an event was lost or reordered. */
  lost: number;
  reordered: number;
  terminals: number;
  /** Events after the terminal one (must be 0). */
  trailing: number;
}

const TERMINAL = new Set(["completed", "failed", "cancelled"]);

/** Reads SSE from `res` until it ends or `stop` says so; `onEvent` may act on each event (e.g. inject a fault). */
export async function readEvents(
  res: Response,
  onEvent?: (e: StreamEvent, all: StreamEvent[]) => unknown,
): Promise<StreamEvent[]> {
  if (!res.body) throw new Error(`no event stream (HTTP ${res.status})`);
  const events: StreamEvent[] = [];
  const pending: StreamEvent[] = [];
  const parser = createParser({
    onEvent(ev) {
      pending.push({
        id: Number(ev.id),
        event: ev.event ?? "message",
        data: JSON.parse(ev.data) as Record<string, unknown>,
      });
    },
  });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return events;
      parser.feed(decoder.decode(value, { stream: true }));
      while (pending.length > 0) {
        const e = pending.shift()!;
        events.push(e);
        if ((await onEvent?.(e, events)) === true) return events;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

export function checkStream(events: StreamEvent[], firstId = 1): StreamCheck {
  let lost = 0;
  let reordered = 0;
  let expected = firstId;
  for (const e of events) {
    if (e.id > expected) lost += e.id - expected;
    else if (e.id < expected) reordered++;
    expected = Math.max(expected, e.id + 1);
  }
  const terminalAt = events.findIndex((e) => TERMINAL.has(e.event));
  return {
    lost,
    reordered,
    terminals: events.filter((e) => TERMINAL.has(e.event)).length,
    trailing: terminalAt < 0 ? 0 : events.length - terminalAt - 1,
  };
}

export const isTerminalEvent = (e: StreamEvent): boolean => TERMINAL.has(e.event);
