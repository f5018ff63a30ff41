// Shape membership tests, operation for operation as shapes.py's `inside` so float results match exactly.

export type ShapeTest = (dx: number, dy: number, r: number) => boolean;

const SHAPE_TESTS: Readonly<Record<string, ShapeTest>> = {
  circle: (dx, dy, r) => dx * dx + dy * dy <= r * r,
  square: (dx, dy, r) => Math.abs(dx) <= 0.85 * r && Math.abs(dy) <= 0.85 * r,
  // Apex up, base at dy = +r.
  triangle: (dx, dy, r) => dy >= -r && dy <= r && Math.abs(dx) <= (dy + r) / 2,
  cross: (dx, dy, r) => {
    const arm = r / 3;
    const ax = Math.abs(dx);
    const ay = Math.abs(dy);
    return (ax <= arm && ay <= r) || (ay <= arm && ax <= r);
  },
};

/** Every known shape lies within ±r of its centre on both axes; the checker relies on this for windows. */
export const SHAPE_EXTENT_FACTOR = 1;

export function shapeTest(shape: string): ShapeTest {
  const test = SHAPE_TESTS[shape];
  if (!test) throw new Error(`no geometry for shape "${shape}"`);
  return test;
}
