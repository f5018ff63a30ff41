// The models the edge may route to. Workers say what they serve in their health (shared's
// ModelInfoSchema), so there is no hand-kept list to fall out of sync; an operator may pin the
// list instead (GG_MODELS_JSON), which a Workers edge that polls nothing can use.
import type { ModelInfo, PolicyName } from "@guidegate/shared";

export { type ModelInfo, ModelInfoSchema, ModelsSchema } from "@guidegate/shared";

/** The models that exist right now, for validation and for GET /v1/models. */
export type ModelSource = () => Promise<readonly ModelInfo[]>;

/** The operator's pinned list when there is one, else what reachable workers report. */
export function modelSource(pinned: readonly ModelInfo[] | null, served: () => Promise<ModelInfo[]>): ModelSource {
  if (pinned) return async () => pinned;
  return served;
}

export const supportsPolicy = (m: ModelInfo, p: PolicyName): boolean => m.policies.includes(p);

export function findModel(models: readonly ModelInfo[], id: string | undefined): ModelInfo | undefined {
  return id === undefined ? models[0] : models.find((m) => m.id === id);
}
