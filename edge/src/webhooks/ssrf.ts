// Which webhook URLs the edge may call. In production a URL whose host is, or resolves to, anything but a
// public unicast address (loopback, private, link-local, CGNAT, unique-local, multicast, reserved, or a tunnel
// form that embeds one) is refused, so a tenant cannot make the edge POST into its own network. In development
// any http(s) URL goes, so tests and local receivers work. Runtime-neutral: each entry passes its resolver.
import ipaddr from "ipaddr.js";

/** The addresses a hostname resolves to (A and AAAA); rejects when it does not resolve. */
export type ResolveHost = (hostname: string) => Promise<string[]>;

export interface UrlPolicy {
  allowPrivateUrls: boolean;
  /** Absent where the runtime has no DNS API (Workers): only literal addresses and localhost names are checked. */
  resolve?: ResolveHost;
}

export type UrlVerdict = { ok: true } | { ok: false; reason: string };

export const MAX_URL_LENGTH = 2048;

/** A public unicast address: the only kind a production edge sends webhooks to. */
export function isPublicAddress(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  let addr = ipaddr.parse(ip);
  if (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress())
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  return addr.range() === "unicast";
}

const bare = (hostname: string): string => hostname.replace(/^\[|\]$/g, "");
const isLocalName = (host: string): boolean => host === "localhost" || host.endsWith(".localhost");

/** Syntax alone: an absolute http(s) URL without credentials. */
export function checkUrlSyntax(raw: string): UrlVerdict {
  if (raw.length > MAX_URL_LENGTH) return { ok: false, reason: `must be at most ${MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "must be an absolute URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, reason: "must be http or https" };
  if (url.username || url.password) return { ok: false, reason: "must not carry credentials" };
  return { ok: true };
}

async function resolved(host: string, resolve: ResolveHost): Promise<string[] | null> {
  try {
    const addrs = await resolve(host);
    return addrs.length ? addrs : null;
  } catch {
    return null;
  }
}

/** Whether the edge may send to `raw` now (DNS is read again at every attempt: answers change). */
export async function checkWebhookUrl(raw: string, policy: UrlPolicy): Promise<UrlVerdict> {
  const syntax = checkUrlSyntax(raw);
  if (!syntax.ok || policy.allowPrivateUrls) return syntax;
  const host = bare(new URL(raw).hostname).toLowerCase();
  const refused = { ok: false, reason: "must not point at a loopback, private or link-local address" } as const;
  if (ipaddr.isValid(host)) return isPublicAddress(host) ? syntax : refused;
  if (isLocalName(host)) return refused;
  if (!policy.resolve) return syntax;
  const addrs = await resolved(host, policy.resolve);
  if (!addrs) return { ok: false, reason: `host "${host}" does not resolve` };
  return addrs.every(isPublicAddress) ? syntax : refused;
}
