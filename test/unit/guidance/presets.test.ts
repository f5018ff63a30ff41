// The presets stay bit-identical to the per-policy implementations they were before guidance
// became rule × schedule (issue 16): fingerprints recorded from those implementations.
import { describe, expect, it } from "vitest";
import { POLICY_NAMES, type PolicyName } from "@guidegate/shared";
import { presetFingerprint } from "./golden.ts";

/** Recorded on the per-policy code (commit e5bfc06), 60 parameter sets per preset, capped and uncapped. */
const RECORDED: Record<PolicyName, string> = {
  none: "e67cf515",
  cfg: "12fd7822",
  ag: "90247aff",
  linear_ag: "4b343a34",
  apg: "b398db44",
  cfgpp: "71527a7e",
  pag: "aa6d2c9b",
  interval: "545b9640",
  cfg_zero_star: "4a9bd708",
};

describe("presets are bit-identical to the policies they replaced", () => {
  it.each(POLICY_NAMES.map((n) => [n] as [PolicyName]))("%s", (name) => {
    expect(presetFingerprint(name)).toBe(RECORDED[name]);
  });
});
