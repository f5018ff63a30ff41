// Request fingerprints for Idempotency-Key: SHA-256 over method, path and canonical JSON.

/** JSON with object keys sorted, so key order never changes a fingerprint. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(",")}}`;
}

export async function fingerprint(method: string, path: string, body: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(`${method.toUpperCase()} ${path}\n${canonicalJson(body)}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
