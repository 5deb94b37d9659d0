import { interpolateInferno } from 'd3-scale-chromatic';

/** A 256-entry RGB lookup table (r, g, b per entry) for values 0..1. */
export type ColourLut = Uint8Array;

/**
 * Builds a 256-entry lookup table from a d3 colour interpolator (default: inferno, perceptually
 * uniform and readable in grey-scale prints and by most colour-blind readers).
 */
export function colourLut(interpolate: (t: number) => string = interpolateInferno): ColourLut {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const rgb = /rgb\((\d+), ?(\d+), ?(\d+)\)/.exec(interpolate(i / 255));
    const hex = /^#([0-9a-f]{6})$/i.exec(interpolate(i / 255));
    const [r, g, b] = rgb
      ? [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])]
      : hex
        ? [0, 2, 4].map((o) => parseInt(hex[1]!.slice(o, o + 2), 16))
        : [0, 0, 0];
    lut.set([r!, g!, b!], i * 3);
  }
  return lut;
}

/** How a heatmap is drawn. */
export interface HeatmapStyle {
  readonly lut: ColourLut;
  /** Peak opacity 0..1 (reached at value 1). */
  readonly opacity: number;
  /** Values below this (0..1) are not drawn. */
  readonly threshold: number;
}

/**
 * Paints a 0..1 float map into RGBA through a colour map: values under the threshold stay
 * transparent; drawn values take their LUT colour with an alpha that rises from 40% to 100% of
 * `opacity` across the drawn range, so weak evidence stays see-through. Returns the pixels and how
 * many were drawn.
 */
export function paintHeatmap(
  values: ArrayLike<number>,
  rows: number,
  columns: number,
  style: HeatmapStyle,
): { rgba: Uint8ClampedArray; drawn: number } {
  const n = rows * columns;
  const rgba = new Uint8ClampedArray(n * 4);
  const threshold = Math.max(0, Math.min(1, style.threshold));
  const opacity = Math.max(0, Math.min(1, style.opacity));
  const span = Math.max(1e-6, 1 - threshold);
  let drawn = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!(v >= threshold) || v <= 0) continue;
    const t = Math.min(1, v);
    const k = Math.round(t * 255) * 3;
    const o = i * 4;
    rgba[o] = style.lut[k]!;
    rgba[o + 1] = style.lut[k + 1]!;
    rgba[o + 2] = style.lut[k + 2]!;
    rgba[o + 3] = Math.round(255 * opacity * (0.4 + (0.6 * (t - threshold)) / span));
    drawn++;
  }
  return { rgba, drawn };
}

/** A CSS linear-gradient of a LUT, bottom (0) to top (1), for the colour bar legend. */
export function lutGradient(lut: ColourLut, stops = 8): string {
  const parts: string[] = [];
  for (let s = 0; s <= stops; s++) {
    const k = Math.round((s / stops) * 255) * 3;
    parts.push(`rgb(${lut[k]}, ${lut[k + 1]}, ${lut[k + 2]}) ${Math.round((s / stops) * 100)}%`);
  }
  return `linear-gradient(to top, ${parts.join(', ')})`;
}

/** Indexes of the `n` highest-scoring slices, highest first (ties: lower index first). */
export function topSlices(scores: readonly number[], n: number): number[] {
  return scores
    .map((score, index) => ({ score, index }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, n)
    .map((s) => s.index);
}
