/**
 * The colour scale: attention weight -> how strongly a token is highlighted, in the panel and in the
 * editor. Relative to the largest weight on an earlier token of the same row, so the most-attended
 * earlier token is always fully coloured, and square-root shaped: attention rows are heavy-tailed (one
 * or two tokens take most of the weight), and on a linear scale everything else would be invisible.
 * Order is preserved (more weight, more colour); exact numbers are in the hovers and the ranked list.
 * The query token's own weight is left out of that maximum (it often dominates the row and would wash
 * out everything else); it is outlined instead.
 */

/** The largest weight among keys 0..query-1 (or the query's own weight when it is the first token). */
export function scaleMax(weights: ArrayLike<number>, query: number): number {
  let max = 0;
  for (let k = 0; k < query; k++) if (weights[k] > max) max = weights[k];
  if (query === 0 || max === 0) max = Math.max(max, weights[query] ?? 0);
  return max;
}

/** Highlight strength in [0, 1]: sqrt(weight / max), clamped; 0 when max is 0 or the weight is not a number. */
export function intensity(weight: number, max: number): number {
  if (!(max > 0) || !(weight > 0)) return 0;
  return Math.sqrt(Math.min(1, weight / max));
}

/** Opacity of the heat colour at full intensity (keeps text readable on top of it). */
const MAX_ALPHA = 0.75;

/**
 * The panel's background for a token: the theme's heat colour (`--lg-heat`, set in media/attention.css from
 * a `--vscode-*` variable) mixed with transparency. Rounded to whole percent so equal weights look equal.
 */
export function heatBackground(value: number): string {
  const percent = Math.round(Math.max(0, Math.min(1, value)) * MAX_ALPHA * 100);
  return percent === 0 ? 'transparent' : `color-mix(in srgb, var(--lg-heat) ${percent}%, transparent)`;
}

/** Editor decorations use a few discrete levels (one decoration type each). */
export const DECORATION_LEVELS = 5;

/** Level 1..levels for an intensity (0 = not highlighted: below half a level). */
export function heatLevel(value: number, levels = DECORATION_LEVELS): number {
  if (!(value > 0)) return 0;
  const level = Math.round(Math.min(1, value) * levels);
  return Math.max(0, Math.min(levels, level));
}

/** rgba() background of a decoration level for light and dark themes (high contrast themes get a border too). */
export function levelColours(level: number, levels = DECORATION_LEVELS): { light: string; dark: string } {
  const a = ((Math.max(0, Math.min(levels, level)) / levels) * MAX_ALPHA * 0.8).toFixed(3);
  return { light: `rgba(230, 120, 0, ${a})`, dark: `rgba(255, 160, 40, ${a})` };
}
