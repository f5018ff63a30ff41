// Node-only networking for webhooks: DNS through node:dns, and a fetch whose connections refuse non-public
// addresses in the socket's own lookup, so a name that passed the check cannot be re-pointed at a private
// address between the check and the connect (DNS rebinding). Imported by node.ts alone.
import { type LookupAddress, type LookupOptions, lookup as dnsLookup } from "node:dns";
import { lookup } from "node:dns/promises";
import { Agent, fetch as undiciFetch } from "undici";
import type { SendFn } from "./dispatcher.ts";
import { isPublicAddress, type ResolveHost } from "./ssrf.ts";

export const resolveWithDns: ResolveHost = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addrs) => {
    if (err) return callback(err, []);
    const bad = addrs.find((a) => !isPublicAddress(a.address));
    if (bad || addrs.length === 0) {
      const refused = Object.assign(new Error(`${hostname} resolves to a non-public address`), {
        code: "EADDRREFUSED",
      });
      return callback(refused, []);
    }
    if (options.all) return callback(null, addrs);
    const first = addrs[0] as LookupAddress;
    callback(null, first.address, first.family);
  });
}

/** POST through an agent that connects only to public addresses (production); plain fetch otherwise. */
export function nodeSend(allowPrivateUrls: boolean): SendFn | undefined {
  if (allowPrivateUrls) return undefined;
  const dispatcher = new Agent({ connect: { lookup: publicOnlyLookup } });
  return (url, init) =>
    undiciFetch(url, { ...init, dispatcher } as Parameters<typeof undiciFetch>[1]) as unknown as Promise<Response>;
}
