import { Raster, type Rgb } from './png';

/**
 * A line chart of validation loss against minutes, the plot the recipe A/Bs are recorded with. Tick labels are
 * drawn with a 3x5 pixel digit font; titles and the colour legend belong in the Markdown that shows the PNG
 * (`SERIES_COLORS` names the colours in order).
 */
export interface Series {
  label: string;
  /** [minutes, loss] points, in order of minutes. */
  points: ReadonlyArray<readonly [number, number]>;
}

export const SERIES_COLORS: ReadonlyArray<{ name: string; rgb: Rgb }> = [
  { name: 'blue', rgb: [31, 119, 180] },
  { name: 'orange', rgb: [255, 127, 14] },
  { name: 'green', rgb: [44, 160, 44] },
  { name: 'red', rgb: [214, 39, 40] },
  { name: 'purple', rgb: [148, 103, 189] },
];

const GLYPHS: Record<string, string[]> = {
  '0': ['111', '101', '101', '101', '111'],
  '1': ['010', '110', '010', '010', '111'],
  '2': ['111', '001', '111', '100', '111'],
  '3': ['111', '001', '111', '001', '111'],
  '4': ['101', '101', '111', '001', '001'],
  '5': ['111', '100', '111', '001', '111'],
  '6': ['111', '100', '111', '101', '111'],
  '7': ['111', '001', '010', '010', '010'],
  '8': ['111', '101', '111', '101', '111'],
  '9': ['111', '101', '111', '001', '111'],
  '.': ['000', '000', '000', '000', '010'],
  '-': ['000', '000', '111', '000', '000'],
};

const BLACK: Rgb = [0, 0, 0];
const GRID: Rgb = [225, 225, 225];

function drawText(image: Raster, text: string, x: number, y: number, scale: number): void {
  let cx = x;
  for (const ch of text) {
    const glyph = GLYPHS[ch];
    if (glyph === undefined) throw new Error(`no glyph for ${JSON.stringify(ch)}`);
    glyph.forEach((row, gy) => {
      for (let gx = 0; gx < 3; gx++) {
        if (row[gx] !== '1') continue;
        for (let sx = 0; sx < scale; sx++) for (let sy = 0; sy < scale; sy++) image.set(cx + gx * scale + sx, y + gy * scale + sy, BLACK);
      }
    });
    cx += 4 * scale;
  }
}

/** About `count` round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

function label(v: number): string {
  return String(Number(v.toPrecision(6)));
}

export function renderLossChart(series: readonly Series[], width = 640, height = 400): Raster {
  const points = series.flatMap((s) => s.points);
  if (points.length === 0) throw new Error('nothing to plot: no points');
  if (series.length > SERIES_COLORS.length) throw new Error(`at most ${SERIES_COLORS.length} series`);
  const image = new Raster(width, height);
  const left = 60;
  const right = width - 15;
  const top = 15;
  const bottom = height - 35;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [x0, x1] = [Math.min(0, ...xs), Math.max(...xs)];
  const pad = (Math.max(...ys) - Math.min(...ys)) * 0.05 || 0.05;
  const [y0, y1] = [Math.min(...ys) - pad, Math.max(...ys) + pad];
  const px = (x: number): number => left + ((x - x0) / (x1 - x0 || 1)) * (right - left);
  const py = (y: number): number => bottom - ((y - y0) / (y1 - y0)) * (bottom - top);
  for (const t of ticks(x0, x1)) {
    image.line(px(t), top, px(t), bottom, GRID);
    const text = label(t);
    drawText(image, text, px(t) - text.length * 4, bottom + 8, 2);
  }
  for (const t of ticks(y0, y1)) {
    if (t < y0 || t > y1) continue;
    image.line(left, py(t), right, py(t), GRID);
    const text = label(t);
    drawText(image, text, left - 8 - text.length * 8, py(t) - 5, 2);
  }
  image.line(left, top, left, bottom, BLACK);
  image.line(left, bottom, right, bottom, BLACK);
  series.forEach((s, i) => {
    const color = SERIES_COLORS[i].rgb;
    for (let k = 1; k < s.points.length; k++) {
      image.line(px(s.points[k - 1][0]), py(s.points[k - 1][1]), px(s.points[k][0]), py(s.points[k][1]), color, 2);
    }
    for (const [x, y] of s.points) image.line(px(x) - 2, py(y), px(x) + 2, py(y), color, 3);
  });
  return image;
}
