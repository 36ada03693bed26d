import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { NpzWriter } from '../io/npz.ts';
import { DSPRITES_FACTOR_SIZES, DSPRITES_SIZE, latentValues, renderSprite } from './dsprites.ts';

/** Images per chunk: 16 MB of pixels between progress reports. */
const CHUNK = 4096;
const PIXELS = 64 * 64;

export interface WriteDSpritesOptions {
  /** Called after each chunk of images with the number written so far. */
  onProgress?: (done: number, total: number) => void;
  /** Stops the write between chunks, removing the partial file. */
  signal?: AbortSignal;
}

/**
 * The whole of procedural dSprites in the original file's layout, so `np.load` users can swap it in:
 * imgs uint8 [737280, 64, 64] (0/1), latents_classes int64 [737280, 6], latents_values float64
 * [737280, 6], whose first column is the constant colour latent. The original's pickled `metadata`
 * member is left out.
 */
export async function writeDSpritesNpz(
  path: string,
  { onProgress, signal }: WriteDSpritesOptions = {},
): Promise<void> {
  const writer = new NpzWriter(path);
  try {
    const imgs = writer.begin('imgs', 'uint8', [DSPRITES_SIZE, 64, 64]);
    for (const [start, rows] of chunks()) {
      const images = new Uint8Array(rows.length * PIXELS);
      for (const [i, f] of rows.entries()) renderSprite(f, images, i * PIXELS);
      imgs.push(images);
      onProgress?.(start + rows.length, DSPRITES_SIZE);
      // lets a Ctrl-C handler run between chunks
      await yieldToEventLoop();
      signal?.throwIfAborted();
    }
    imgs.end();
    const classes = writer.begin('latents_classes', 'int64', [DSPRITES_SIZE, 6]);
    for (const [, rows] of chunks()) {
      const out = new BigInt64Array(rows.length * 6);
      for (const [i, f] of rows.entries()) for (let k = 0; k < 5; k++) out[i * 6 + k + 1] = BigInt(f[k]);
      classes.push(new Uint8Array(out.buffer));
    }
    classes.end();
    const values = writer.begin('latents_values', 'float64', [DSPRITES_SIZE, 6]);
    for (const [, rows] of chunks()) {
      const out = new Float64Array(rows.length * 6);
      for (const [i, f] of rows.entries()) out.set(latentValues(f), i * 6);
      values.push(new Uint8Array(out.buffer));
    }
    values.end();
    writer.close();
  } catch (err) {
    writer.abort();
    throw err;
  }
}

/** The factor rows of every image in index order (posY fastest), CHUNK rows at a time. */
function* chunks(): Generator<[number, number[][]]> {
  const f = [0, 0, 0, 0, 0];
  for (let start = 0; start < DSPRITES_SIZE; start += CHUNK) {
    const rows: number[][] = [];
    for (let i = start; i < Math.min(start + CHUNK, DSPRITES_SIZE); i++) {
      rows.push(f.slice());
      for (let k = 4; k >= 0 && ++f[k] === DSPRITES_FACTOR_SIZES[k]; k--) f[k] = 0;
    }
    yield [start, rows];
  }
}
