// Small helpers around hono's SSE stream: keep-alive comments and disconnect wiring.
import type { Context } from "hono";
import type { SSEStreamingApi } from "hono/streaming";

/** Write `: keep-alive` every `ms` until stopped; proxies drop idle streams otherwise. */
export function keepAlive(stream: SSEStreamingApi, ms: number): () => void {
  if (!(ms > 0)) return () => {};
  const timer = setInterval(() => {
    if (stream.aborted || stream.closed) return;
    void stream.write(": keep-alive\n\n");
  }, ms);
  return () => clearInterval(timer);
}

/**
 * Call `onGone` once when the client leaves. Both hooks are hints only (Workers may report
 * neither), so nothing that must happen depends on them.
 */
export function onDisconnect(c: Context, stream: SSEStreamingApi | null, onGone: () => void): () => void {
  let fired = false;
  const fire = () => {
    if (fired) return;
    fired = true;
    onGone();
  };
  const signal = c.req.raw.signal;
  signal?.addEventListener("abort", fire, { once: true });
  stream?.onAbort(fire);
  if (signal?.aborted) fire();
  return () => signal?.removeEventListener("abort", fire);
}
