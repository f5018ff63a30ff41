// What `npm run calibrate` measured for AG (calibration.json's `measured`), for benches that score
// the calibrated choices on held-out prompts. The worker reads only the chosen defaults, never this.
import type { AgAfterLatch } from "@guidegate/shared";
import type { ModelGuidanceDefaults } from "@guidegate/gpu-worker";

export interface AgCalibration {
  prompts?: number; // calibration prompts AG was calibrated on
  byRule: Partial<Record<AgAfterLatch, { threshold: number; adherence: number; nfe: number }>>;
}

export function agCalibration(defaults: ModelGuidanceDefaults, scheduler: string, steps: number): AgCalibration {
  const measured = (defaults as { measured?: Record<string, { ag?: { prompts?: number }; ag_by_rule?: AgCalibration["byRule"] }> }).measured?.[
    `${scheduler}:${steps}`
  ];
  return { prompts: measured?.ag?.prompts, byRule: measured?.ag_by_rule ?? {} };
}
