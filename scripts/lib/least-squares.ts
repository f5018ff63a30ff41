// Ordinary least squares through the normal equations (a handful of regressors, many rows),
// accumulated in float64 and solved by Gaussian elimination with partial pivoting.
export function solveLeastSquares(rows: number[][], target: number[]): number[] {
  const p = rows[0]?.length ?? 0;
  const ata = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const atb = new Array<number>(p).fill(0);
  rows.forEach((r, n) => {
    for (let i = 0; i < p; i++) {
      atb[i]! += r[i]! * target[n]!;
      for (let j = 0; j < p; j++) ata[i]![j]! += r[i]! * r[j]!;
    }
  });
  for (let i = 0; i < p; i++) ata[i]![i]! += 1e-9 * (ata[i]![i]! + 1); // ridge for collinear columns
  return solve(ata, atb);
}

export function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const d = m[col]![col]!;
    if (Math.abs(d) < 1e-300) throw new Error("singular system");
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / d;
      for (let c = col; c <= n; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}
