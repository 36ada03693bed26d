import { Resvg } from '@resvg/resvg-js';
import type { RgbImage } from '../io/png.ts';
import { GRID_DEFAULTS, toByte } from './image-grid.ts';

/** Text beside or under a picture: drawn as SVG <text> and rasterised by resvg with the system's fonts. */
export interface LabelOptions {
  /** pixels of the label strip across the text direction (a column's width, a row's height) */
  size?: number;
  fontSize?: number;
  /** grey level or RGB triple in [0, 1] */
  background?: number | readonly [number, number, number];
  color?: string;
}

export const LABEL_DEFAULTS = { fontSize: 11, color: '#ffffff' } as const;

/** A label is one or more lines; lines are stacked around the label's centre. */
export type Label = string | readonly string[];

/** Centres of the rows (or columns) of an imageGrid of `count` cells of `cell` pixels. */
export function gridCentres(count: number, cell: number, padding: number = GRID_DEFAULTS.padding): number[] {
  return Array.from({ length: count }, (_, i) => padding + i * (cell + padding) + cell / 2);
}

/** The picture with a column of labels on its left, label i centred at height centres[i]. */
export function withRowLabels(
  image: RgbImage,
  labels: readonly Label[],
  centres: readonly number[],
  options: LabelOptions = {},
): RgbImage {
  const o = resolved(options, longestLine(labels) * 0.62 * (options.fontSize ?? LABEL_DEFAULTS.fontSize) + 8);
  const texts = labels.map((label, i) => textAt(label, 4, centres[i], 'start', o.fontSize));
  const strip = rasterise(texts.join(''), o.size, image.height, o);
  return besideLeft(strip, image);
}

/** The picture with a row of labels under it, label i centred at x = centres[i]. */
export function withColumnLabels(
  image: RgbImage,
  labels: readonly Label[],
  centres: readonly number[],
  options: LabelOptions = {},
): RgbImage {
  const fontSize = options.fontSize ?? LABEL_DEFAULTS.fontSize;
  const lines = Math.max(1, ...labels.map((l) => linesOf(l).length));
  const o = resolved(options, lines * fontSize * 1.25 + 6);
  const texts = labels.map((label, i) => textAt(label, centres[i], o.size / 2, 'middle', o.fontSize));
  const strip = rasterise(texts.join(''), image.width, o.size, o);
  return above(image, strip);
}

function resolved(options: LabelOptions, size: number) {
  const background = options.background ?? GRID_DEFAULTS.background;
  const rgb = typeof background === 'number' ? [background, background, background] : background;
  return {
    ...LABEL_DEFAULTS,
    ...options,
    size: Math.ceil(options.size ?? size),
    fill: `rgb(${rgb.map(toByte).join(',')})`,
  };
}

const linesOf = (label: Label): readonly string[] => (typeof label === 'string' ? [label] : label);
const longestLine = (labels: readonly Label[]) =>
  Math.max(1, ...labels.flatMap((l) => linesOf(l).map((line) => line.length)));

function textAt(label: Label, x: number, centreY: number, anchor: string, fontSize: number): string {
  const lines = linesOf(label);
  const lineHeight = fontSize * 1.25;
  const top = centreY - ((lines.length - 1) * lineHeight) / 2;
  return lines
    .map(
      (line, j) =>
        `<text x="${x}" y="${(top + j * lineHeight).toFixed(1)}" text-anchor="${anchor}" dominant-baseline="central">${escapeXml(line)}</text>`,
    )
    .join('');
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function rasterise(
  body: string,
  width: number,
  height: number,
  o: { fill: string; color: string; fontSize: number },
): RgbImage {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="100%" height="100%" fill="${o.fill}"/>` +
    `<g font-family="DejaVu Sans, sans-serif" font-size="${o.fontSize}" fill="${o.color}">${body}</g></svg>`;
  const rendered = new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  }).render();
  const rgba = rendered.pixels;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    rgb[3 * i] = rgba[4 * i];
    rgb[3 * i + 1] = rgba[4 * i + 1];
    rgb[3 * i + 2] = rgba[4 * i + 2];
  }
  return { width, height, rgb };
}

/** left and right side by side (equal heights). */
function besideLeft(left: RgbImage, right: RgbImage): RgbImage {
  const width = left.width + right.width;
  const rgb = new Uint8Array(width * right.height * 3);
  for (let y = 0; y < right.height; y++) {
    rgb.set(left.rgb.subarray(y * left.width * 3, (y + 1) * left.width * 3), y * width * 3);
    rgb.set(right.rgb.subarray(y * right.width * 3, (y + 1) * right.width * 3), (y * width + left.width) * 3);
  }
  return { width, height: right.height, rgb };
}

/** top above bottom (equal widths). */
function above(top: RgbImage, bottom: RgbImage): RgbImage {
  const rgb = new Uint8Array(top.rgb.length + bottom.rgb.length);
  rgb.set(top.rgb);
  rgb.set(bottom.rgb, top.rgb.length);
  return { width: top.width, height: top.height + bottom.height, rgb };
}
