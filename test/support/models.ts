// What a worker serving the embedded model reports in its health, for fake pools in edge tests.
import { type ModelInfo, ModelInfoSchema, POLICY_NAMES } from "@guidegate/shared";

export const SHAPES_32: ModelInfo = ModelInfoSchema.parse({
  id: "shapes-32",
  sizes: ["32x32"],
  policies: [...POLICY_NAMES],
});
