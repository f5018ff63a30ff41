// Hostile JSON text: objects as entry lists (so "__proto__" and duplicate keys survive) and raw
// tokens (NaN, Infinity, 1e400, comments) that JSON.stringify could never write.

export class Raw {
  constructor(readonly text: string) {}
}
export class Obj {
  constructor(readonly entries: ReadonlyArray<readonly [string, JsonLike]>) {}
}
export type JsonLike = null | boolean | number | string | Raw | Obj | JsonLike[];

export function toJsonText(v: JsonLike): string {
  if (v instanceof Raw) return v.text;
  if (v instanceof Obj) return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${toJsonText(x)}`).join(",")}}`;
  if (Array.isArray(v)) return `[${v.map(toJsonText).join(",")}]`;
  return JSON.stringify(v) ?? "null";
}
