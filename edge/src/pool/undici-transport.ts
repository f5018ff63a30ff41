// Node-only (the Node entry imports it): the pool's PostJob over undici's request(), whose body is a Node
// stream read chunk by chunk, without fetch's Web-stream machinery. Connections to workers are kept alive
// and reused by the agent.
import { Agent, type Dispatcher, request } from "undici";
import type { PostJob } from "./transport.ts";

/** Idle connections to a worker stay open this long, longer than the pool's 2 s health polling. */
const KEEP_ALIVE_MS = 30_000;

/**
 * The body's chunks. Leaving early (the pool stops at the terminal event) must neither destroy the body (Node's
 * stream iterator would, with an AbortError whose stack, formatted through source maps, cost ~40 µs a job, and
 * undici would close the connection) nor strand it: what is left flows to its end, or the pool's close() cuts it.
 */
async function* chunks(body: Dispatcher.ResponseData["body"]): AsyncGenerator<Uint8Array> {
  try {
    yield* body.iterator({ destroyOnReturn: false });
  } finally {
    body.resume();
  }
}

export function undiciPostJob(dispatcher: Dispatcher = new Agent({ keepAliveTimeout: KEEP_ALIVE_MS })): PostJob {
  return async (url, init) => {
    const res = await request(url, {
      method: "POST",
      headers: init.headers,
      body: init.body,
      signal: init.signal,
      dispatcher,
    });
    return {
      status: res.statusCode,
      header: (name) => {
        const v = res.headers[name];
        return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
      },
      body: chunks(res.body),
      json: () => res.body.json(),
      discard: () => res.body.dump(),
    };
  };
}
