// guidegate.json: what a model is (pixel or latent, resolution, capabilities such as PAG) beyond
// what the Optimum layout says. Its attribute vocabulary and held-out evaluation set are read by the
// eval package (eval/src/eval-set.ts); the worker ignores them.
import { z } from "zod";

export const ManifestSchema = z.object({
  name: z.string(),
  description: z.string().optional(),
  resolution: z.number().int(),
  space: z.enum(["pixel", "latent"]),
  channels: z.number().int(),
  capabilities: z.object({ pag: z.object({ input: z.string() }).optional() }).default({}),
});
export type Manifest = z.infer<typeof ManifestSchema>;
