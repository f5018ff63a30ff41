// A small Dockerfile reader for the infra tests: instructions with line continuations joined,
// split into stages. Enough for COPY/ENV/CMD/ARG checks; not a full parser.
export interface Instruction {
  op: string;
  args: string;
}

export function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, " ");
  return joined
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const m = /^(\S+)\s*(.*)$/.exec(l)!;
      return { op: m[1]!.toUpperCase(), args: m[2]!.trim() };
    });
}

/** Instructions per stage: [global ARGs, stage 1, stage 2, ...]; the last one is the image. */
export function stages(list: Instruction[]): Instruction[][] {
  const out: Instruction[][] = [[]];
  for (const i of list) {
    if (i.op === "FROM") out.push([]);
    out[out.length - 1]!.push(i);
  }
  return out;
}

/** KEY=VALUE pairs of an ENV instruction (the modern form). */
export function envPairs(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) out[m[1]!] = m[2]!.replace(/^"|"$/g, "");
  return out;
}

/** Sources of a COPY without --from (paths in the build context); the last word is the destination. */
export function copySources(args: string): string[] | null {
  const words = args.split(/\s+/);
  if (words.some((w) => w.startsWith("--from="))) return null;
  const paths = words.filter((w) => !w.startsWith("--"));
  return paths.slice(0, -1);
}
