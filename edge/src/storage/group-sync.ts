// Group commit: many writers' commits made durable by one flush. A caller has committed its write
// already (in memory or the OS's cache) and waits for a flush that *started after* it asked: a flush
// in progress may have missed its write. Callers arriving during a flush share the one that follows,
// so under load there is one flush per round trip to the disk, not one per write.

/** `flush` makes everything written so far durable; the result waits for one that covers the caller. */
export function groupSync(flush: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let queued: Promise<void> | null = null;
  const start = (): Promise<void> => {
    const p = flush().finally(() => {
      if (running === p) running = null;
    });
    running = p;
    return p;
  };
  const next = () => {
    queued = null;
    return start();
  };
  return () => {
    if (queued) return queued;
    if (!running) return start();
    queued = running.then(next, next); // a failed flush does not fail the writes that came after it
    return queued;
  };
}
