// Node-only (the Node entry imports it): the pool's PostJob over undici's request(), whose body is a Node
// stream read chunk by chunk, without fetch's Web-stream machinery. Connections to workers are kept alive
// and reused by the agent.
import { Agent, type Dispatcher, request } from "undici";
import type { PostJob } from "./transport.ts";

/** Idle connections to a worker stay open this long, longer than the pool's 2 s health polling. */
const KEEP_ALIVE_MS = 30_000;

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
      body: res.body,
      json: () => res.body.json(),
      discard: () => res.body.dump(),
    };
  };
}
