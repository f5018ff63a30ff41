// JSON for the test hop between Node and the harness Worker, keeping what RPC's structured clone keeps and JSON
// drops: NaN, ±Infinity and undefined.
const TAG = "$gg:number";

export const encode = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) => {
    if (v === undefined) return { [TAG]: "undefined" };
    if (typeof v === "number" && !Number.isFinite(v)) return { [TAG]: String(v) };
    return v;
  });

export const decode = (text: string): unknown =>
  JSON.parse(text, (_k, v: unknown) => {
    if (v === null || typeof v !== "object" || !(TAG in v)) return v;
    const tag = (v as Record<string, string>)[TAG];
    return tag === "undefined" ? undefined : Number(tag);
  });
