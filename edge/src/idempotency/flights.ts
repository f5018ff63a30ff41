// Requests under one Idempotency-Key that arrive while the first is still being answered share that
// answer, whatever it is (202, 400, 503): a joiner never gets a job id the first request then failed to
// create. In process only; across processes the store's claim decides (claimOrWait in claim.ts).

/** A response read once, so it can be handed to every caller that waited for it. */
export interface SharedAnswer {
  status: number;
  headers: Array<[string, string]>;
  body: string;
}

async function read(res: Response): Promise<SharedAnswer> {
  return { status: res.status, headers: [...res.headers], body: await res.text() };
}

function respond(a: SharedAnswer, joined: boolean): Response {
  const headers = new Headers(a.headers);
  if (joined) headers.set("idempotent-replayed", "true");
  return new Response(a.body, { status: a.status, headers });
}

export class Flights {
  private readonly open = new Map<string, Promise<SharedAnswer>>();

  /** Answer with `first()` for the first caller of `id`; callers arriving before it settles get the same answer. */
  async share(id: string, first: () => Promise<Response>): Promise<Response> {
    const running = this.open.get(id);
    if (running) return respond(await running, true);
    const answer = first().then(read);
    this.open.set(id, answer);
    try {
      return respond(await answer, false);
    } finally {
      this.open.delete(id); // later requests ask the store: a finished key replays, a released one runs again
    }
  }
}
