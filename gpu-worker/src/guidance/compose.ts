// A GuidancePolicy from a rule and a schedule: the schedule says whether this step evaluates the
// rule's extra branches and what stands in for them, the rule combines. Any rule runs under any
// schedule; the presets are pairs too (shared's pairOf).
import type { GuidanceName } from "@guidegate/shared";
import { condOf } from "./convert.ts";
import type { Branch, ExtraOutputs, GuidancePolicy, GuidanceRule, GuidanceSchedule } from "./types.ts";

export function composePolicy(name: GuidanceName, rule: GuidanceRule, schedule: GuidanceSchedule): GuidancePolicy {
  const start = () => {
    rule.reset?.();
    schedule.reset();
  };
  return {
    name,
    branches(ctx) {
      if (ctx.step === 0) start(); // a new trajectory
      // Idle steps evaluate nothing, the one exception to "branches always include cond".
      if (rule.idle?.at(ctx.step)) return [];
      const extras = rule.extras.length > 0 && schedule.evaluates(ctx) ? rule.extras : [];
      return ["cond", ...extras] satisfies Branch[];
    },
    combine(ctx, out) {
      if (ctx.step === 0) start();
      if (rule.idle?.at(ctx.step)) {
        const prediction = rule.idle.predict(ctx);
        schedule.observe?.(ctx, { prediction, evaluated: false });
        return prediction;
      }
      const cond = condOf(out, name);
      const extras: ExtraOutputs = {};
      for (const b of rule.extras) extras[b] = schedule.resolve(ctx, b, cond, out[b]);
      const prediction = rule.combine(ctx, cond, extras);
      const evaluated = rule.extras.length > 0 && rule.extras.every((b) => out[b] !== undefined);
      schedule.observe?.(ctx, { cond, prediction, evaluated });
      return prediction;
    },
  };
}
