import type { RgbImage } from '../io/png.ts';

/** Images as plain data: values in [0, 1], row-major [n, h, w, c], c = 1 (grey) or 3 (RGB). */
export interface ImageBatch {
  data: Float32Array;
  shape: readonly [number, number, number, number];
}

/** One image of a batch: a view, not a copy. */
export interface FloatImage {
  data: Float32Array;
  height: number;
  width: number;
  channels: number;
}

export interface GridOptions {
  /** pixels between and around cells */
  padding?: number;
  /** the padding: a grey level, or an RGB triple, in [0, 1] */
  background?: number | readonly [number, number, number];
  /** nearest-neighbour upscale factor (a positive integer) */
  upscale?: number;
}

export const GRID_DEFAULTS = { padding: 2, background: 0.5, upscale: 1 } as const;

/** Image i of a batch, sharing the batch's memory. */
export function imageAt(batch: ImageBatch, i: number): FloatImage {
  const [n, height, width, channels] = batch.shape;
  if (i < 0 || i >= n) throw new RangeError(`image ${i} is outside a batch of ${n}`);
  const size = height * width * channels;
  return { data: batch.data.subarray(i * size, (i + 1) * size), height, width, channels };
}

/** Lays out cells[row][col] (null for a blank cell) into one RGB picture; grey images become RGB. */
export function imageGrid(
  cells: readonly (readonly (FloatImage | null)[])[],
  options: GridOptions = {},
): RgbImage {
  const { padding, background, upscale } = { ...GRID_DEFAULTS, ...options };
  if (!Number.isInteger(upscale) || upscale < 1)
    throw new RangeError(`upscale must be a positive integer, got ${upscale}`);
  const first = cells.flat().find((cell) => cell !== null);
  if (!first) throw new RangeError('imageGrid needs at least one image');
  const { height: h, width: w } = first;
  const rows = cells.length;
  const cols = Math.max(...cells.map((row) => row.length));
  const cellH = h * upscale;
  const cellW = w * upscale;
  const width = cols * cellW + (cols + 1) * padding;
  const height = rows * cellH + (rows + 1) * padding;
  const rgb = new Uint8Array(width * height * 3);
  const fill = typeof background === 'number' ? [background, background, background] : background;
  const fillBytes = fill.map(toByte);
  for (let i = 0; i < width * height; i++) rgb.set(fillBytes, 3 * i);
  cells.forEach((row, r) => {
    row.forEach((image, col) => {
      if (!image) return;
      if (image.height !== h || image.width !== w)
        throw new RangeError(
          `grid cell [${r}][${col}] is ${image.height}x${image.width}, the others ${h}x${w}`,
        );
      drawCell(
        rgb,
        width,
        image,
        padding + r * (cellH + padding),
        padding + col * (cellW + padding),
        upscale,
      );
    });
  });
  return { width, height, rgb };
}

function drawCell(
  rgb: Uint8Array,
  width: number,
  image: FloatImage,
  top: number,
  left: number,
  upscale: number,
) {
  const { data, width: w, channels: c } = image;
  for (let y = 0; y < image.height * upscale; y++) {
    for (let x = 0; x < w * upscale; x++) {
      const src = (Math.floor(y / upscale) * w + Math.floor(x / upscale)) * c;
      const dst = ((top + y) * width + left + x) * 3;
      for (let k = 0; k < 3; k++) rgb[dst + k] = toByte(data[src + (c === 1 ? 0 : k)]);
    }
  }
}

/** [0, 1] to a byte; NaN (a diverged decoder) shows as black rather than failing the picture. */
export function toByte(value: number): number {
  return Number.isNaN(value) ? 0 : Math.round(Math.min(1, Math.max(0, value)) * 255);
}

/** Indices 0..n-1 row-major in rows of `cols`; the last row may be short. */
export function rowsOf(n: number, cols: number): number[][] {
  return Array.from({ length: Math.ceil(n / cols) }, (_, r) =>
    Array.from({ length: Math.min(cols, n - r * cols) }, (_, c) => r * cols + c),
  );
}

/** The first n images of a batch, `cols` to a row (e.g. decoded prior samples). */
export function samplesGrid(images: ImageBatch, n: number, cols = 8, options: GridOptions = {}): RgbImage {
  checkCount(images, n);
  return imageGrid(
    rowsOf(n, cols).map((row) => row.map((i) => imageAt(images, i))),
    options,
  );
}

/** n originals and their reconstructions, `cols` pairs to a row: a row of originals, its reconstructions below. */
export function reconstructionGrid(
  originals: ImageBatch,
  reconstructions: ImageBatch,
  n: number,
  cols = 8,
  options: GridOptions = {},
): RgbImage {
  checkCount(originals, n);
  checkCount(reconstructions, n);
  const [, h, w] = originals.shape;
  const [, rh, rw] = reconstructions.shape;
  if (h !== rh || w !== rw) throw new RangeError(`originals are ${h}x${w}, reconstructions ${rh}x${rw}`);
  return imageGrid(
    rowsOf(n, cols).flatMap((row) => [
      row.map((i) => imageAt(originals, i)),
      row.map((i) => imageAt(reconstructions, i)),
    ]),
    options,
  );
}

function checkCount(images: ImageBatch, n: number) {
  if (!Number.isInteger(n) || n < 1 || n > images.shape[0])
    throw new RangeError(`asked for ${n} images of a batch of ${images.shape[0]}`);
}
