// guidegate.json: what a model is (pixel or latent, resolution, palette for the checker,
// capabilities such as PAG) beyond what the Optimum layout says.
import { z } from "zod";

export const EvalItemSchema = z.object({
  prompt: z.string(),
  seed: z.number().int(),
  color: z.string(),
  shape: z.string(),
  background: z.string(),
  size: z.string(),
  seen_in_training: z.boolean(),
});
export type EvalItem = z.infer<typeof EvalItemSchema>;

export const ManifestSchema = z.object({
  name: z.string(),
  description: z.string().optional(),
  resolution: z.number().int(),
  space: z.enum(["pixel", "latent"]),
  channels: z.number().int(),
  palette: z.record(z.string(), z.tuple([z.number(), z.number(), z.number()])).optional(),
  colors: z.array(z.string()).optional(),
  shapes: z.array(z.string()).optional(),
  sizes: z.record(z.string(), z.number()).optional(),
  capabilities: z.object({ pag: z.object({ input: z.string() }).optional() }).default({}),
  eval: z.array(EvalItemSchema).optional(),
});
export type Manifest = z.infer<typeof ManifestSchema>;
