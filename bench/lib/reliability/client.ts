// A tenant's view of the gateway for the reliability scenarios: tokens, jobs, usage, downloads.
import { CompletedEventSchema } from "@guidegate/shared";
import type { z } from "zod";
import { mintDevToken } from "../../../edge/src/auth/dev-token.ts";
import { readEvents, type StreamEvent } from "./events.ts";

export interface Tenant {
  sub: string;
  token: string;
  headers: Record<string, string>;
}

let counter = 0;
export async function tenant(prefix: string, tier = "pro", secret?: string): Promise<Tenant> {
  const sub = `${prefix}-${process.pid}-${Date.now().toString(36)}-${++counter}`;
  const token = await mintDevToken({ sub, tier, secret });
  return { sub, token, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } };
}

export async function postJob(edgeUrl: string, t: Tenant, body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${edgeUrl}/v1/jobs`, { method: "POST", headers: t.headers, body: JSON.stringify(body) });
  if (res.status !== 202) throw new Error(`POST /v1/jobs: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

export function openEvents(edgeUrl: string, t: Tenant, id: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${edgeUrl}/v1/jobs/${id}/events`, { headers: { authorization: t.headers.authorization! }, signal });
}

/** Creates a job and follows its events to the end, handing each to `onEvent`. */
export async function followJob(
  edgeUrl: string,
  t: Tenant,
  body: Record<string, unknown>,
  onEvent?: Parameters<typeof readEvents>[1],
): Promise<{ id: string; events: StreamEvent[] }> {
  const id = await postJob(edgeUrl, t, body);
  return { id, events: await readEvents(await openEvents(edgeUrl, t, id), onEvent) };
}

export async function download(url: string): Promise<{ status: number; bytes: Uint8Array }> {
  const res = await fetch(url);
  return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()) };
}

type Completed = z.infer<typeof CompletedEventSchema>;
export const completedOf = (events: StreamEvent[]): Completed | null => {
  const last = events.at(-1);
  // Parsed, not cast: a malformed completed event is a finding of the run, not a crash later.
  return last?.event === "completed" ? CompletedEventSchema.parse({ ...last.data, event: "completed" }) : null;
};
