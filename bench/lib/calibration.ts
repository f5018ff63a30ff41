// What `npm run calibrate` measured for AG (calibration.json's `measured`), for benches that score
// the calibrated choices on held-out prompts. The worker reads only the chosen defaults, never this:
// its schema drops `measured` when the model loads, so this reads the model folder's file itself.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { AgAfterLatch } from "@guidegate/shared";

export interface AgCalibration {
  prompts?: number; // calibration prompts AG was calibrated on
  byRule: Partial<Record<AgAfterLatch, { threshold: number; adherence: number; nfe: number }>>;
}

type Measured = Record<string, { ag?: { prompts?: number }; ag_by_rule?: AgCalibration["byRule"] }>;

export function agCalibration(modelDir: string, scheduler: string, steps: number): AgCalibration {
  const path = join(modelDir, "calibration.json");
  const file = (existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : {}) as { measured?: Measured };
  const measured = file.measured?.[`${scheduler}:${steps}`];
  return { prompts: measured?.ag?.prompts, byRule: measured?.ag_by_rule ?? {} };
}
