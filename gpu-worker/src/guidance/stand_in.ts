// Stand-ins for skipped branches (an NFE cap, or a schedule that reuses): the last guidance
// direction c − b, which kept CFG-best quality at 60-75% of the NFEs in the prototype
// (prototype-findings.md).
import type { ExtraBranch } from "@guidegate/shared";
import { sub } from "./vector.ts";

export class BranchStandIn {
  private lastDirection: Float32Array | undefined;

  /** The real branch when given (and remember c − b), else c − (last c − b), else undefined. */
  resolve(cond: Float32Array, actual: Float32Array | undefined): Float32Array | undefined {
    if (actual) {
      this.lastDirection = sub(cond, actual);
      return actual;
    }
    return this.lastDirection ? sub(cond, this.lastDirection) : undefined;
  }

  reset(): void {
    this.lastDirection = undefined;
  }
}

/** One BranchStandIn per extra branch: PAG's c − c_ptb and CFG's c − u are reused apart. */
export class DirectionStandIns {
  private readonly byBranch = new Map<ExtraBranch, BranchStandIn>();

  resolve(branch: ExtraBranch, cond: Float32Array, actual: Float32Array | undefined): Float32Array | undefined {
    const standIn = this.byBranch.get(branch) ?? new BranchStandIn();
    this.byBranch.set(branch, standIn);
    return standIn.resolve(cond, actual);
  }

  reset(): void {
    this.byBranch.clear();
  }
}
