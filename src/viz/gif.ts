import * as gifencModule from 'gifenc';
import { writeFileAtomic } from '../io/atomic.ts';
import type { RgbImage } from '../io/png.ts';

// Node sees only a default export (CommonJS build); bundlers get the ESM build's named exports
const gifenc = typeof gifencModule.GIFEncoder === 'function' ? gifencModule : gifencModule.default;

const GREYS = Array.from({ length: 256 }, (_, v) => [v, v, v]);

/**
 * An animated GIF that loops forever, `delayMs` per frame (GIF keeps hundredths of a second). Grey
 * frames use a 256-level grey palette, so they are exact; colour frames share one palette quantised
 * from all frames, so colours do not flicker between frames.
 */
export function encodeGif(frames: readonly RgbImage[], delayMs = 100): Uint8Array {
  if (frames.length === 0) throw new RangeError('a GIF needs at least one frame');
  const { width, height } = frames[0];
  for (const [i, f] of frames.entries())
    if (f.width !== width || f.height !== height || f.rgb.length !== width * height * 3)
      throw new RangeError(`frame ${i} is ${f.width}x${f.height}, frame 0 ${width}x${height}`);
  const encoder = gifenc.GIFEncoder();
  const write = (index: Uint8Array, palette: number[][]) =>
    encoder.writeFrame(index, width, height, { palette, delay: delayMs, repeat: 0 });
  if (frames.every(isGrey)) {
    for (const f of frames)
      write(
        f.rgb.filter((_, i) => i % 3 === 0),
        GREYS,
      );
  } else {
    const rgba = frames.map(toRgba);
    const palette = gifenc.quantize(concat(rgba), 256);
    for (const f of rgba) write(gifenc.applyPalette(f, palette), palette);
  }
  encoder.finish();
  return encoder.bytes();
}

export async function writeGifAtomic(
  path: string,
  frames: readonly RgbImage[],
  delayMs = 100,
): Promise<void> {
  await writeFileAtomic(path, encodeGif(frames, delayMs));
}

function isGrey({ rgb }: RgbImage): boolean {
  for (let i = 0; i < rgb.length; i += 3) if (rgb[i] !== rgb[i + 1] || rgb[i] !== rgb[i + 2]) return false;
  return true;
}

function toRgba({ rgb }: RgbImage): Uint8Array {
  const out = new Uint8Array((rgb.length / 3) * 4);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    out[j] = rgb[i];
    out[j + 1] = rgb[i + 1];
    out[j + 2] = rgb[i + 2];
    out[j + 3] = 255;
  }
  return out;
}

function concat(arrays: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}
