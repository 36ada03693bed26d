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

/** Any PNG back to RGB (alpha dropped). */
export function decodePng(buffer: Buffer): RgbImage {
  const png = PNG.sync.read(buffer);
  const rgb = new Uint8Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++)
    for (let k = 0; k < 3; k++) rgb[3 * i + k] = png.data[4 * i + k];
  return { width: png.width, height: png.height, rgb };
}

/** Readers of `path` see the old picture or the whole new one: written beside it, then renamed over it. */
export async function writePngAtomic(path: string, image: RgbImage): Promise<void> {
  await writeFileAtomic(path, encodePng(image));
}
