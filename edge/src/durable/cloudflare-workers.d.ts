// Types for "cloudflare:workers", the module only workerd provides at run time (imported by durable/ alone).
// @cloudflare/workers-types declares it only in its global flavour (index.d.ts), whose globals would clash with
// the DOM and Node types of this repository's one tsconfig, so it is declared here from the importable flavour.
declare module "cloudflare:workers" {
  import type { CloudflareWorkersModule } from "@cloudflare/workers-types";

  export const DurableObject: typeof CloudflareWorkersModule.DurableObject;
  export type DurableObject<Env = unknown> = CloudflareWorkersModule.DurableObject<Env>;
}
