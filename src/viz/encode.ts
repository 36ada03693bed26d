import gifenc from 'gifenc';
import { PNG } from 'pngjs';
import { writeFileAtomic } from '../io/atomic.ts';
import type { RgbImage } from './image-grid.ts';

export function encodePng(image: RgbImage): Buffer {
  const png = new PNG({ width: image.width, height: image.height });
  for (let i = 0; i < image.width * image.height; i++) {
    png.data[4 * i] = image.rgb[3 * i];
    png.data[4 * i + 1] = image.rgb[3 * i + 1];
    png.data[4 * i + 2] = image.rgb[3 * i + 2];
    png.data[4 * i + 3] = 255;
  }
  return PNG.sync.write(png);
}

export function decodePng(buffer: Buffer): RgbImage {
  const png = PNG.sync.read(buffer);
  const rgb = new Uint8Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++)
    for (let k = 0; k < 3; k++) rgb[3 * i + k] = png.data[4 * i + k];
  return { width: png.width, height: png.height, rgb };
}

/** An animated, looping GIF; one palette (256 colours) quantised from all frames together. */
export function encodeGif(frames: RgbImage[], delayMs: number): Uint8Array {
  const { width, height } = frames[0];
  const rgba = (f: RgbImage) => {
    const out = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      out[4 * i] = f.rgb[3 * i];
      out[4 * i + 1] = f.rgb[3 * i + 1];
      out[4 * i + 2] = f.rgb[3 * i + 2];
      out[4 * i + 3] = 255;
    }
    return out;
  };
  const all = frames.map(rgba);
  const joined = new Uint8Array(all.reduce((n, f) => n + f.length, 0));
  for (const [i, f] of all.entries()) joined.set(f, i * f.length);
  const { GIFEncoder, applyPalette, quantize } = gifenc;
  const palette = quantize(joined, 256);
  const gif = GIFEncoder();
  for (const f of all)
    gif.writeFrame(applyPalette(f, palette), width, height, { palette, delay: delayMs, repeat: 0 });
  gif.finish();
  return gif.bytes();
}

export const writePng = (path: string, image: RgbImage) => writeFileAtomic(path, encodePng(image));
export const writeGif = (path: string, frames: RgbImage[], delayMs = 120) =>
  writeFileAtomic(path, encodeGif(frames, delayMs));
