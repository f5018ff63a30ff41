// The models the edge may route to, from configuration: sizes and the policies each supports.
import { z } from "zod";
import { POLICY_NAMES, PolicyNameSchema, type PolicyName } from "@guidegate/shared";

export const ModelInfoSchema = z.object({
  id: z.string().min(1).max(100),
  sizes: z.array(z.string().regex(/^[1-9][0-9]*x[1-9][0-9]*$/)).min(1), // first one is the default
  policies: z.array(PolicyNameSchema).min(1),
  negative_prompt: z.boolean().default(true),
  description: z.string().optional(),
});
export type ModelInfo = z.infer<typeof ModelInfoSchema>;
export const ModelsSchema = z.array(ModelInfoSchema).min(1);

/** The local pixel-space test model: 32x32 shapes, every policy including PAG. */
export const DEFAULT_MODELS: ModelInfo[] = ModelsSchema.parse([
  {
    id: "shapes-32",
    sizes: ["32x32"],
    policies: [...POLICY_NAMES],
    description: "32x32 pixel-space shapes model (local development)",
  },
]);

export const supportsPolicy = (m: ModelInfo, p: PolicyName): boolean => m.policies.includes(p);

export function findModel(models: readonly ModelInfo[], id: string | undefined): ModelInfo | undefined {
  return id === undefined ? models[0] : models.find((m) => m.id === id);
}
