/**
 * Largest and mean absolute difference between two sample arrays; arrays of different lengths differ
 * by Infinity (a frame of the wrong size never reads as a match).
 */
export function sampleDifference(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; mean: number } {
  if (a.length !== b.length) return { max: Number.POSITIVE_INFINITY, mean: Number.POSITIVE_INFINITY };
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    if (!(d <= max)) max = d; // NaN counts as a difference too
  }
  return { max, mean: a.length ? sum / a.length : 0 };
}
