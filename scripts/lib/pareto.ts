// Pareto selection over measured candidates and Spearman's rank correlation, for calibrate's frontier.

/** An objective to maximise (negate a cost such as NFE to minimise it); undefined = not measured. */
export type Objective<T> = (p: T) => number | undefined;

/** a dominates b: no worse on every measured objective and strictly better on one. */
function dominates<T>(a: T, b: T, objectives: Array<Objective<T>>): boolean {
  let better = false;
  for (const f of objectives) {
    const x = f(a);
    const y = f(b);
    if (x === undefined || y === undefined) continue;
    if (x < y) return false;
    if (x > y) better = true;
  }
  return better;
}

/** The points no other point dominates, in input order; of exact ties only the first is kept. */
export function paretoFrontier<T>(points: T[], objectives: Array<Objective<T>>): T[] {
  const same = (a: T, b: T) => objectives.every((f) => f(a) === f(b));
  return points.filter((p, i) => !points.some((q, j) => dominates(q, p, objectives) || (j < i && same(q, p))));
}

/** 1-based ranks, ties given their average rank (so Spearman stays exact with tied values). */
export function ranks(xs: number[]): number[] {
  const order = xs.map((x, i) => ({ x, i })).sort((a, b) => a.x - b.x);
  const out = new Array<number>(xs.length);
  for (let s = 0; s < order.length; ) {
    let e = s;
    while (e + 1 < order.length && order[e + 1]!.x === order[s]!.x) e++;
    for (let k = s; k <= e; k++) out[order[k]!.i] = (s + e) / 2 + 1;
    s = e + 1;
  }
  return out;
}

/** Pearson correlation; 0 where either side is constant (no ranking to agree with). */
function pearson(x: number[], y: number[]): number {
  const mean = (v: number[]) => v.reduce((s, a) => s + a, 0) / v.length;
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let k = 0; k < x.length; k++) {
    sxy += (x[k]! - mx) * (y[k]! - my);
    sxx += (x[k]! - mx) ** 2;
    syy += (y[k]! - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
}

/** Spearman's ρ: Pearson correlation of the ranks. */
export function spearman(x: number[], y: number[]): number {
  if (x.length !== y.length) throw new Error(`spearman: ${x.length} vs ${y.length} values`);
  return x.length < 2 ? 0 : pearson(ranks(x), ranks(y));
}
