// Job admission per tenant: how many of a tenant's jobs may be on workers at once (its tier's
// max_concurrent_jobs), how many more may wait at the edge in its own queue (max_queued_jobs, 429
// beyond), and whose waiting job goes next when a slot frees: tenants take turns, so a tenant that
// floods waits behind its own work and never fills the pool for everyone else.
// Admission is an interface so a Durable Object could hold it across isolates; this one lives in process.
import { tenantLimited } from "../errors.ts";

export interface JobLimits {
  maxConcurrentJobs: number;
  maxQueuedJobs: number;
}

/** A job's place: a slot at once (position 0), or the n-th place in its tenant's queue. */
export interface Place {
  readonly position: number;
  /** Resolves once the job may dispatch; rejects with `signal`'s reason (and gives the place up) if it aborts first. */
  turn(signal?: AbortSignal): Promise<void>;
  /** Give the slot, or the place in the queue, back; later calls do nothing. */
  release(): void;
}

export interface Admission {
  /** A place for one of `tenant`'s jobs under `limits`; throws 429 too_many_jobs when its queue is full. */
  enter(tenant: string, limits: JobLimits): Promise<Place>;
  /** Where admitted jobs wait when no worker has room (jobs API); one line for every tenant. */
  readonly line?: CapacityLine;
}

/**
 * Jobs admitted by their tenant's turn that found every worker full wait here, first come first served:
 * only the head retries a dispatch, when a slot frees here or every `retryMs` (capacity freed elsewhere).
 */
export interface CapacityLine {
  join(): Ticket;
  /** A job of this edge ended: the head may find room now. */
  freed(): void;
}

export interface Ticket {
  /** 1 = next to dispatch. */
  readonly position: number;
  /** Resolves when the line moves or a slot frees, or after `timeoutMs`; rejects with `signal`'s reason. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<void>;
  leave(): void;
}

export function createCapacityLine(): CapacityLine {
  const tickets: object[] = [];
  let wakers = new Set<() => void>();
  const wakeAll = () => {
    const now = wakers;
    wakers = new Set();
    for (const w of now) w();
  };
  return {
    freed: wakeAll,
    join() {
      const me = {};
      tickets.push(me);
      return {
        get position() {
          return tickets.indexOf(me) + 1;
        },
        wait(timeoutMs, signal) {
          let done = () => {};
          const woken = new Promise<void>((resolve) => {
            done = () => {
              clearTimeout(timer);
              wakers.delete(done);
              resolve();
            };
          });
          const timer = setTimeout(done, timeoutMs);
          wakers.add(done);
          return abortable(woken, signal, done);
        },
        leave() {
          const i = tickets.indexOf(me);
          if (i < 0) return;
          tickets.splice(i, 1);
          wakeAll(); // everyone behind moved up
        },
      };
    },
  };
}

export interface MemoryAdmissionOptions {
  /** Jobs on workers at once for all tenants together; 0: no edge-wide limit (the workers' own capacity). */
  maxConcurrentJobs: number;
}

/** A refused job's client retries after this: a slot frees when one of the tenant's own jobs ends. */
const RETRY_QUEUE_FULL_S = 5;

interface Waiter {
  limits: JobLimits;
  grant: () => void;
}

interface TenantState {
  running: number;
  waiting: Waiter[];
  /** When the tenant last got a slot (a grant counter): the one served longest ago goes next. */
  servedAt: number;
}

export function createMemoryAdmission(options: MemoryAdmissionOptions): Admission {
  const tenants = new Map<string, TenantState>();
  const line = createCapacityLine();
  let running = 0;
  let grants = 0;

  const stateOf = (tenant: string): TenantState => {
    const found = tenants.get(tenant);
    if (found) return found;
    const t: TenantState = { running: 0, waiting: [], servedAt: 0 };
    tenants.set(tenant, t);
    return t;
  };
  const edgeHasSlot = () => options.maxConcurrentJobs <= 0 || running < options.maxConcurrentJobs;
  const hasSlot = (t: TenantState, limits: JobLimits) => t.running < limits.maxConcurrentJobs && edgeHasSlot();

  function take(t: TenantState): () => void {
    t.running++;
    running++;
    t.servedAt = ++grants;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      t.running--;
      running--;
      pump();
      line.freed();
    };
  }

  /** The waiting tenant with a free slot that was served longest ago, or null. */
  function nextInTurn(): TenantState | null {
    let next: TenantState | null = null;
    for (const t of tenants.values()) {
      const w = t.waiting[0];
      if (w && hasSlot(t, w.limits) && (!next || t.servedAt < next.servedAt)) next = t;
    }
    return next;
  }

  /** Grant waiting jobs while slots are free, tenants taking turns; forget tenants with nothing left. */
  function pump(): void {
    for (let t = nextInTurn(); t; t = nextInTurn()) t.waiting.shift()!.grant();
    for (const [name, t] of tenants) if (t.running === 0 && t.waiting.length === 0) tenants.delete(name);
  }

  function leave(t: TenantState, w: Waiter): void {
    const i = t.waiting.indexOf(w);
    if (i < 0) return;
    t.waiting.splice(i, 1);
    pump();
  }

  function queued(t: TenantState, limits: JobLimits): Place {
    let release: (() => void) | null = null;
    let granted!: () => void;
    const ready = new Promise<void>((r) => (granted = r));
    const w: Waiter = {
      limits,
      grant: () => {
        release = take(t);
        granted();
      },
    };
    t.waiting.push(w);
    return {
      position: t.waiting.length,
      async turn(signal) {
        if (release) return;
        await abortable(ready, signal, () => leave(t, w));
      },
      release() {
        if (release) release();
        else leave(t, w);
      },
    };
  }

  return {
    line,
    async enter(tenant, limits) {
      const t = stateOf(tenant);
      if (t.waiting.length === 0 && hasSlot(t, limits)) {
        const release = take(t);
        return { position: 0, turn: async () => {}, release };
      }
      if (t.waiting.length >= limits.maxQueuedJobs)
        throw tenantLimited(
          "too_many_jobs",
          `You have ${t.running} jobs running and ${t.waiting.length} waiting, the most your tier allows; retry when one ends.`,
          RETRY_QUEUE_FULL_S,
        );
      return queued(t, limits);
    },
  };
}

/** `p`, or `signal`'s reason once it aborts (after `onAbort`), whichever comes first. */
function abortable(p: Promise<void>, signal: AbortSignal | undefined, onAbort: () => void): Promise<void> {
  if (!signal) return p;
  if (signal.aborted) {
    onAbort();
    return Promise.reject(signal.reason);
  }
  return new Promise<void>((resolve, reject) => {
    const abort = () => {
      onAbort();
      reject(signal.reason);
    };
    signal.addEventListener("abort", abort, { once: true });
    p.then(() => {
      signal.removeEventListener("abort", abort);
      resolve();
    });
  });
}
