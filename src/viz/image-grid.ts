/** An 8-bit RGB picture. */
export interface RgbImage {
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** Images as plain data: values in [0, 1], row-major [n, h, w, c], c = 1 (grey) or 3 (RGB). */
export interface ImageBatch {
  data: Float32Array;
  shape: readonly [number, number, number, number];
}

export interface GridOptions {
  /** pixels between and around cells */
  padding?: number;
  /** RGB of the padding: a blue that neither black, white nor mid-grey pixels can be confused with */
  background?: readonly [number, number, number];
  /** nearest-neighbour upscale factor */
  upscale?: number;
}

/** Lays images out row by row: cells[r][c] is the index of an image in the batch, or -1 for blank. */
export function imageGrid(
  images: ImageBatch,
  cells: number[][],
  { padding = 2, background = [40, 70, 140], upscale = 1 }: GridOptions = {},
): RgbImage {
  const [, h, w, c] = images.shape;
  const rows = cells.length;
  const cols = Math.max(...cells.map((r) => r.length));
  const cellH = h * upscale;
  const cellW = w * upscale;
  const width = cols * cellW + (cols + 1) * padding;
  const height = rows * cellH + (rows + 1) * padding;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) rgb.set(background, 3 * i);
  cells.forEach((row, r) => {
    row.forEach((index, col) => {
      if (index < 0) return;
      const top = padding + r * (cellH + padding);
      const left = padding + col * (cellW + padding);
      const base = index * h * w * c;
      for (let y = 0; y < cellH; y++) {
        for (let x = 0; x < cellW; x++) {
          const src = base + (Math.floor(y / upscale) * w + Math.floor(x / upscale)) * c;
          const dst = ((top + y) * width + left + x) * 3;
          for (let k = 0; k < 3; k++) rgb[dst + k] = toByte(images.data[src + (c === 1 ? 0 : k)]);
        }
      }
    });
  });
  return { width, height, rgb };
}

function toByte(value: number): number {
  return Math.round(Math.min(1, Math.max(0, value)) * 255);
}

/** Row-major cells 0..n-1 in rows of `cols`. */
export function rowsOf(n: number, cols: number): number[][] {
  return Array.from({ length: Math.ceil(n / cols) }, (_, r) =>
    Array.from({ length: Math.min(cols, n - r * cols) }, (_, c) => r * cols + c),
  );
}
