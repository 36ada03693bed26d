import { inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { writeFileAtomic } from './atomic.ts';

/** An 8-bit RGB picture, row-major, 3 bytes per pixel. */
export interface RgbImage {
  width: number;
  height: number;
  rgb: Uint8Array;
}

export function encodePng(image: RgbImage): Buffer {
  const { width, height, rgb } = image;
  if (rgb.length !== width * height * 3)
    throw new RangeError(
      `an RGB ${width}x${height} image needs ${width * height * 3} bytes, got ${rgb.length}`,
    );
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    png.data[4 * i] = rgb[3 * i];
    png.data[4 * i + 1] = rgb[3 * i + 1];
    png.data[4 * i + 2] = rgb[3 * i + 2];
    png.data[4 * i + 3] = 255;
  }
  return PNG.sync.write(png);
}

/** The most pixels a PNG may declare: 4096x4096 (a 69-byte file can declare 16000x16000). */
export const MAX_PNG_PIXELS = 4096 * 4096;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
// Adam7: x0, y0, dx, dy of each pass
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
}

/** A PNG's IHDR, read without decoding anything. */
export function readPngHeader(buffer: Uint8Array): PngHeader {
  if (buffer.length < 33 || SIGNATURE.some((b, i) => buffer[i] !== b))
    throw new Error('not a PNG (no PNG signature and IHDR chunk)');
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (String.fromCharCode(...buffer.subarray(12, 16)) !== 'IHDR') throw new Error('no IHDR chunk first');
  const header = {
    width: view.getUint32(16),
    height: view.getUint32(20),
    bitDepth: buffer[24],
    colorType: buffer[25],
    interlaced: buffer[28] === 1,
  };
  if (CHANNELS[header.colorType] == null) throw new Error(`unknown color type ${header.colorType}`);
  return header;
}

/** The bytes the image data inflates to: one filter byte per row of each (interlace) pass. */
function inflatedSize({ width, height, bitDepth, colorType, interlaced }: PngHeader): number {
  const bits = CHANNELS[colorType] * bitDepth;
  const passes = interlaced ? ADAM7 : [[0, 0, 1, 1]];
  let total = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const w = Math.ceil((width - x0) / dx);
    const h = Math.ceil((height - y0) / dy);
    if (w > 0 && h > 0) total += (((w * bits + 7) >> 3) + 1) * h;
  }
  return total;
}

/**
 * Any PNG back to RGB (alpha dropped). Its declared size is checked before anything is allocated (at
 * most `maxPixels`), and its data is inflated no further than that size.
 */
export function decodePng(
  buffer: Buffer,
  { maxPixels = MAX_PNG_PIXELS }: { maxPixels?: number } = {},
): RgbImage {
  const header = readPngHeader(buffer);
  const { width, height } = header;
  if (width === 0 || height === 0 || width * height > maxPixels) {
    throw new Error(`declares ${width}x${height} pixels, expected 1 to ${maxPixels} pixels`);
  }
  checkInflatedSize(buffer, inflatedSize(header));
  const png = PNG.sync.read(buffer);
  const rgb = new Uint8Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++)
    for (let k = 0; k < 3; k++) rgb[3 * i + k] = png.data[4 * i + k];
  return { width: png.width, height: png.height, rgb };
}

/** Inflates the IDAT chunks with a cap of what the header promises: more is a decompression bomb. */
function checkInflatedSize(buffer: Buffer, promised: number): void {
  const parts: Buffer[] = [];
  for (let at = 8; at + 8 <= buffer.length; ) {
    const length = buffer.readUInt32BE(at);
    const type = buffer.toString('latin1', at + 4, at + 8);
    if (type === 'IDAT') parts.push(buffer.subarray(at + 8, at + 8 + length));
    if (type === 'IEND') break;
    at += 12 + length;
  }
  try {
    inflateSync(Buffer.concat(parts), { maxOutputLength: Math.max(1, promised) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new Error(`its image data inflates to more than the ${promised} bytes its header promises`);
    throw err;
  }
}

/** Readers of `path` see the old picture or the whole new one: written beside it, then renamed over it. */
export async function writePngAtomic(path: string, image: RgbImage): Promise<void> {
  await writeFileAtomic(path, encodePng(image));
}
