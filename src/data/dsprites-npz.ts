import { NpzWriter } from '../io/npz.ts';
import { DSPRITES_SIZE, factorsOfIndex, latentValues, renderSprite } from './dsprites.ts';

const CHUNK = 4096;

/**
 * The whole of procedural dSprites in the original file's layout, so `np.load` users can swap it in:
 * imgs uint8 [737280, 64, 64], latents_classes int64 [737280, 6], latents_values float64 [737280, 6]
 * (the first column is the constant colour latent).
 */
export function writeDSpritesNpz(path: string, onProgress?: (done: number, total: number) => void): void {
  const writer = new NpzWriter(path);
  try {
    writer.member('imgs', 'uint8', [DSPRITES_SIZE, 64, 64], (push) => {
      for (let start = 0; start < DSPRITES_SIZE; start += CHUNK) {
        const count = Math.min(CHUNK, DSPRITES_SIZE - start);
        const images = new Uint8Array(count * 4096);
        for (let i = 0; i < count; i++) renderSprite(factorsOfIndex(start + i), images, i * 4096);
        push(images);
        onProgress?.(start + count, DSPRITES_SIZE);
      }
    });
    writer.member('latents_classes', 'int64', [DSPRITES_SIZE, 6], (push) => {
      for (let start = 0; start < DSPRITES_SIZE; start += CHUNK) {
        const count = Math.min(CHUNK, DSPRITES_SIZE - start);
        const rows = new BigInt64Array(count * 6);
        for (let i = 0; i < count; i++) {
          for (const [k, f] of factorsOfIndex(start + i).entries()) rows[i * 6 + k + 1] = BigInt(f);
        }
        push(new Uint8Array(rows.buffer));
      }
    });
    writer.member('latents_values', 'float64', [DSPRITES_SIZE, 6], (push) => {
      for (let start = 0; start < DSPRITES_SIZE; start += CHUNK) {
        const count = Math.min(CHUNK, DSPRITES_SIZE - start);
        const rows = new Float64Array(count * 6);
        for (let i = 0; i < count; i++) rows.set(latentValues(factorsOfIndex(start + i)), i * 6);
        push(new Uint8Array(rows.buffer));
      }
    });
    writer.close();
  } catch (err) {
    writer.abort();
    throw err;
  }
}
