// How the pool POSTs a job to a worker and reads the answer: the part of an HTTP client the dispatch needs.
// Web fetch by default (every runtime has it). The Node entry passes undici's request() instead
// (undici-transport.ts): on Node, fetch's Request, Headers and Web-stream body cost ~4x the CPU of
// request() for the same exchange, most of the gateway's own time per generation under bench:gateway.

export interface WorkerResponse {
  status: number;
  /** A response header (lower-case name), or null. */
  header(name: string): string | null;
  /** The body as it arrives. */
  body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;
  json(): Promise<unknown>;
  /** Drop the body unread. */
  discard(): Promise<void>;
}

export interface PostInit {
  headers: Record<string, string>;
  body: string;
  /** Aborts the request, and the body while it is read. */
  signal: AbortSignal;
}

export type PostJob = (url: string, init: PostInit) => Promise<WorkerResponse>;

/** A PostJob over a Web fetch. */
export function fetchPostJob(doFetch: typeof fetch): PostJob {
  return async (url, init) => {
    const res = await doFetch(url, { method: "POST", ...init });
    const body = res.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    return {
      status: res.status,
      header: (name) => res.headers.get(name),
      body,
      json: () => res.json(),
      discard: async () => {
        await body.cancel().catch(() => {});
      },
    };
  };
}
