// What every answer to a hostile request must look like: a 4xx with the error envelope, or (only
// for a request a correct gateway may accept) the refusing pool's 503 no_capacity with Retry-After.
import { ErrorEnvelopeSchema } from "@guidegate/shared";
import type { HostileRequest } from "./requests.ts";

export type Verdict =
  | { kind: "rejected"; status: number }
  | { kind: "admitted" }
  | { kind: "violation"; detail: string };

/** `param` is `expected` or a path under it ("guidance.scale" under "guidance", "data[0]" under "data"). */
function namesField(param: string | null, expected: string | null): boolean {
  if (expected === null || param === null) return param === expected;
  return param === expected || param.startsWith(`${expected}.`) || param.startsWith(`${expected}[`);
}

const LEAK = /node_modules|\/work\/|\.ts:\d+|\bat \S+ \(|\n\s+at /;

export async function judge(req: HostileRequest, res: Response, secrets: readonly string[]): Promise<Verdict> {
  const text = await res.text();
  for (const s of secrets)
    if (s && text.includes(s)) return { kind: "violation", detail: "a secret appears in the response" };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: "violation", detail: `HTTP ${res.status} without a JSON body: ${text.slice(0, 120)}` };
  }
  const env = ErrorEnvelopeSchema.safeParse(json);
  if (!env.success)
    return { kind: "violation", detail: `HTTP ${res.status} without the error envelope: ${text.slice(0, 160)}` };
  if (LEAK.test(env.data.error.message))
    return { kind: "violation", detail: `internal detail in message: ${env.data.error.message.slice(0, 160)}` };
  // A 400 must name the field at fault (or none, for a body that is no JSON), not some other field.
  const param = env.data.error.param;
  if (res.status === 400 && req.params && !req.params.some((p) => namesField(param, p)))
    return {
      kind: "violation",
      detail: `HTTP 400 ${env.data.error.code} names ${param}, expected ${req.params.map(String).join(" or ")}`,
    };
  if (res.status >= 400 && res.status < 500) return { kind: "rejected", status: res.status };
  if (
    res.status === 503 &&
    req.mayBeValid &&
    env.data.error.code === "no_capacity" &&
    Number(res.headers.get("retry-after")) > 0
  )
    return { kind: "admitted" };
  return {
    kind: "violation",
    detail: `HTTP ${res.status} ${env.data.error.code}: ${env.data.error.message.slice(0, 120)}`,
  };
}
