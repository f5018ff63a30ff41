// A model folder's measured frontier (frontier.json, written by `npm run calibrate`), parsed when
// the worker loads the model so a stale or hand-edited file fails at startup, naming the field.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type FrontierEntry, FrontierFileSchema, frontierForHealth } from "@guidegate/shared";

/** The frontier points health advertises for the model in `dir`; undefined where it was never calibrated. */
export function readFrontier(dir: string): FrontierEntry[] | undefined {
  const path = join(dir, "frontier.json");
  if (!existsSync(path)) return undefined;
  return frontierForHealth(FrontierFileSchema.parse(JSON.parse(readFileSync(path, "utf8"))));
}
