// Stand-ins for branches skipped under an NFE cap: reuse the last guidance direction c − b,
// which kept CFG-best quality at 60-75% of the NFEs in the prototype (prototype-findings.md).
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
