// Groups UNet rows of all running jobs into as few runs as possible: while a run is in
// flight, new rows wait; when it returns, everything waiting goes in the next run (up to
// maxBatch). A run starts as soon as every active job has submitted its step, or after
// `windowMs` when some are still busy between steps.
import type { DiffusionModel } from "../models/diffusion-model.ts";
import type { UnetRow } from "../models/unet-feeds.ts";

interface Waiting {
  rows: UnetRow[];
  resolve: (out: Float32Array[]) => void;
  reject: (err: Error) => void;
}

export interface BatcherStats {
  runs: number;
  rows: number;
  ortMs: number;
}

export class UnetBatcher {
  private queue: Waiting[] = [];
  private running = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private active = 0;
  readonly stats: BatcherStats = { runs: 0, rows: 0, ortMs: 0 };

  constructor(
    private readonly model: DiffusionModel,
    private readonly maxBatch: number,
    private readonly windowMs: number,
    /** Hears every UNet run's rows and ORT milliseconds (the runtime thread forwards them as metrics). */
    private readonly onRun?: (rows: number, ortMs: number) => void,
  ) {
    if (!(maxBatch >= 1)) throw new Error("maxBatch must be >= 1");
    if (!(windowMs >= 0)) throw new Error("windowMs must be >= 0");
  }

  /** A job that will submit steps from now on (pipelines call this around their loop). */
  enter(): void {
    this.active++;
  }
  exit(): void {
    this.active--;
    this.schedule(); // the jobs still waiting may be all that is left
  }

  /** Evaluates rows (one job's NFEs for one step); resolves with one output per row. */
  submit(rows: UnetRow[]): Promise<Float32Array[]> {
    if (rows.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    const pendingRows = this.queue.reduce((s, w) => s + w.rows.length, 0);
    const everyoneIn = this.queue.length >= this.active;
    if (pendingRows >= this.maxBatch || everyoneIn || this.windowMs === 0) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.windowMs);
  }

  private async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const batch = this.take();
    try {
      for (const group of this.groups(batch)) await this.runGroup(group);
    } catch (err) {
      for (const w of batch) w.reject(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  /** Takes whole submissions up to maxBatch rows (a larger single submission runs alone, split). */
  private take(): Waiting[] {
    const out: Waiting[] = [];
    let rows = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (out.length > 0 && rows + next.rows.length > this.maxBatch) break;
      out.push(this.queue.shift()!);
      rows += next.rows.length;
    }
    return out;
  }

  /** A scalar-timestep UNet cannot mix timesteps in one run: group by timestep there. */
  private groups(batch: Waiting[]): Waiting[][] {
    if (!this.model.timestepScalar) return [batch];
    const byT = new Map<number, Waiting[]>();
    for (const w of batch) {
      const t = w.rows[0]!.timestep;
      if (w.rows.some((r) => r.timestep !== t)) throw new Error("one submission must share its timestep");
      byT.set(t, [...(byT.get(t) ?? []), w]);
    }
    return [...byT.values()];
  }

  private async runGroup(group: Waiting[]): Promise<void> {
    const rows = group.flatMap((w) => w.rows);
    try {
      const outputs: Float32Array[] = [];
      for (let i = 0; i < rows.length; i += this.maxBatch) {
        const chunk = rows.slice(i, i + this.maxBatch);
        const res = await this.model.runUnet(chunk);
        this.stats.runs++;
        this.stats.rows += chunk.length;
        this.stats.ortMs += res.ms;
        this.onRun?.(chunk.length, res.ms);
        outputs.push(...res.outputs);
      }
      let at = 0;
      for (const w of group) {
        w.resolve(outputs.slice(at, at + w.rows.length));
        at += w.rows.length;
      }
    } catch (err) {
      for (const w of group) w.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
