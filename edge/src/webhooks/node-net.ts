// Node-only networking for webhooks: DNS through node:dns, and a fetch whose connector refuses non-public
// addresses itself (literals before connecting, names in the socket's own lookup), so a name that passed the
// check cannot be re-pointed at a private address between the check and the connect (DNS rebinding).
// Imported by node.ts alone.
import { type LookupAddress, type LookupOptions, lookup as dnsLookup } from "node:dns";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { Agent, buildConnector, fetch as undiciFetch } from "undici";
import type { SendFn } from "./dispatcher.ts";
import { isPublicAddress, type ResolveHost } from "./ssrf.ts";

export const resolveWithDns: ResolveHost = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

const refused = (what: string) => Object.assign(new Error(`${what} is not a public address`), { code: "EADDRREFUSED" });

function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addrs) => {
    if (err) return callback(err, []);
    if (addrs.length === 0 || addrs.some((a) => !isPublicAddress(a.address))) return callback(refused(hostname), []);
    if (options.all) return callback(null, addrs);
    const first = addrs[0] as LookupAddress;
    callback(null, first.address, first.family);
  });
}

/** A connector that refuses literal non-public addresses (no lookup runs for them) and resolves names publicly. */
function publicOnlyConnector(): buildConnector.connector {
  const connect = buildConnector({ lookup: publicOnlyLookup } as buildConnector.BuildOptions);
  return (opts, callback) => {
    const host = opts.hostname.replace(/^\[|\]$/g, "");
    if (isIP(host) && !isPublicAddress(host)) return callback(refused(host), null);
    return connect(opts, callback);
  };
}

/** POST through an agent that connects only to public addresses (production); plain fetch otherwise. */
export function nodeSend(allowPrivateUrls: boolean): SendFn | undefined {
  if (allowPrivateUrls) return undefined;
  const dispatcher = new Agent({ connect: publicOnlyConnector() });
  return (url, init) => undiciFetch(url, { ...init, dispatcher } as Parameters<typeof undiciFetch>[1]);
}
