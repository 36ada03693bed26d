import type { Rng } from '../engine/rng.ts';
import { type GroundTruthData, observationArray } from './ground-truth.ts';
import { rasteriseSprite } from './sprite-masks.ts';

/**
 * Procedural dSprites (Matthey et al. 2017) in the original file's layout: shape {square, ellipse,
 * heart} x scale (6 values in [0.5, 1]) x orientation (40 values in [0, 2π], both ends included, as the
 * original's latents_values) x posX (32) x posY (32) = 737,280 binary 64x64 images, posY fastest.
 */
export const DSPRITES_FACTOR_NAMES = ['shape', 'scale', 'orientation', 'posX', 'posY'] as const;
export const DSPRITES_FACTOR_SIZES = [3, 6, 40, 32, 32] as const;
/** index = dot(factors, DSPRITES_BASES); the original's constant colour latent (size 1) adds nothing. */
export const DSPRITES_BASES = [245_760, 40_960, 1024, 32, 1] as const;
export const DSPRITES_SIZE = 737_280;
export const DSPRITES_SHAPES = ['square', 'ellipse', 'heart'] as const;
const SIDE = 64;
const PIXELS = SIDE * SIDE;

export type DSpritesVariant = 'binary' | 'color' | 'noisy';

/** numpy.linspace to the last bit (i * step + start, the end exact), as the original's values were made. */
const linspace = (a: number, b: number, n: number) =>
  Array.from({ length: n }, (_, i) => (i === n - 1 ? b : i * ((b - a) / (n - 1)) + a));
/** The original metadata's latents_possible_values (without colour, which is always 1). */
export const DSPRITES_VALUES = {
  shape: [1, 2, 3],
  scale: linspace(0.5, 1, 6),
  orientation: linspace(0, 2 * Math.PI, 40),
  posX: linspace(0, 1, 32),
  posY: linspace(0, 1, 32),
};

function checkFactors(f: ArrayLike<number>): void {
  for (let k = 0; k < 5; k++) {
    const v = f[k];
    if (!Number.isInteger(v) || v < 0 || v >= DSPRITES_FACTOR_SIZES[k]) {
      throw new RangeError(
        `dsprites: factor ${DSPRITES_FACTOR_NAMES[k]} = ${v}, expected an integer in [0, ${DSPRITES_FACTOR_SIZES[k]})`,
      );
    }
  }
}

/** Flat index of a factor row [shape, scale, orientation, posX, posY] in the original imgs array. */
export function indexOfFactors(f: ArrayLike<number>): number {
  checkFactors(f);
  return f[0] * 245_760 + f[1] * 40_960 + f[2] * 1024 + f[3] * 32 + f[4];
}

export function factorsOfIndex(index: number): number[] {
  if (!Number.isInteger(index) || index < 0 || index >= DSPRITES_SIZE) {
    throw new RangeError(`dsprites: index ${index}, expected an integer in [0, ${DSPRITES_SIZE})`);
  }
  const out = new Array<number>(5);
  for (let k = 4; k >= 0; k--) {
    out[k] = index % DSPRITES_FACTOR_SIZES[k];
    index = Math.floor(index / DSPRITES_FACTOR_SIZES[k]);
  }
  return out;
}

/** The original's latents_classes row: [color, shape, scale, orientation, posX, posY], color always 0. */
export function latentClasses(f: ArrayLike<number>): number[] {
  checkFactors(f);
  return [0, f[0], f[1], f[2], f[3], f[4]];
}

/** The original's latents_values row: [color = 1, shape in 1..3, scale, orientation, posX, posY]. */
export function latentValues(f: ArrayLike<number>): number[] {
  checkFactors(f);
  const v = DSPRITES_VALUES;
  return [1, v.shape[f[0]], v.scale[f[1]], v.orientation[f[2]], v.posX[f[3]], v.posY[f[4]]];
}

const masks: (Int32Array | undefined)[] = new Array(3 * 6 * 40);
function spriteMask(shape: number, scale: number, orientation: number): Int32Array {
  const key = (shape * 6 + scale) * 40 + orientation;
  // 2π % 2π is exactly 0, so the first and last orientations draw the same image
  const angle = DSPRITES_VALUES.orientation[orientation] % (2 * Math.PI);
  masks[key] ??= rasteriseSprite(shape, DSPRITES_VALUES.scale[scale], angle);
  return masks[key];
}

/**
 * Draws the sprite of one factor row into out[offset ..], a 64x64 image with `channels` values per
 * pixel, setting sprite pixels to `value` (one value per channel, cycled) and leaving the rest alone.
 */
export function renderSprite(
  f: ArrayLike<number>,
  out: Float32Array | Uint8Array,
  offset = 0,
  channels = 1,
  value: ArrayLike<number> = [1],
): void {
  checkFactors(f);
  const lit = spriteMask(f[0], f[1], f[2]);
  // The masks are cut for a sprite centred at pixel corner (16, 16); the original's centre is
  // 16 + 32 * pos, here rounded to whole pixels (see sprite-masks.ts)
  const shift =
    Math.round(32 * DSPRITES_VALUES.posY[f[4]]) * SIDE + Math.round(32 * DSPRITES_VALUES.posX[f[3]]);
  if (channels === 1 && value.length === 1) {
    const v = value[0];
    for (let i = 0; i < lit.length; i++) out[offset + lit[i] + shift] = v;
    return;
  }
  for (let i = 0; i < lit.length; i++) {
    const o = offset + (lit[i] + shift) * channels;
    for (let k = 0; k < channels; k++) out[o + k] = value[k % value.length];
  }
}

/** The binary image (0/1 bytes, 64x64) at flat index `index` of the original array. */
export function renderImage(index: number, out = new Uint8Array(PIXELS), offset = 0): Uint8Array {
  out.fill(0, offset, offset + PIXELS);
  renderSprite(factorsOfIndex(index), out, offset);
  return out;
}

export function createDSprites({ variant = 'binary' }: { variant?: DSpritesVariant } = {}): GroundTruthData {
  const channels = variant === 'binary' ? 1 : 3;
  const size = PIXELS * channels;
  return {
    name: variant === 'binary' ? 'dsprites' : `dsprites-${variant}`,
    factorNames: DSPRITES_FACTOR_NAMES,
    factorSizes: DSPRITES_FACTOR_SIZES,
    observationShape: [SIDE, SIDE, channels],
    deterministic: variant === 'binary',
    sampleFactors(n: number, rng: Rng): Int32Array {
      const out = new Int32Array(n * 5);
      for (let i = 0; i < n * 5; i++) out[i] = rng.int(DSPRITES_FACTOR_SIZES[i % 5]);
      return out;
    },
    sampleObservationsFromFactors(factors: Int32Array, rng: Rng, target?: Float32Array): Float32Array {
      if (factors.length % 5 !== 0) {
        throw new RangeError(`dsprites: ${factors.length} factor values, expected rows of 5`);
      }
      const n = factors.length / 5;
      const out = observationArray('dsprites', n * size, target);
      for (let i = 0; i < n; i++) {
        const row = factors.subarray(i * 5, i * 5 + 5);
        if (variant === 'color') {
          // disentanglement_lib's ColorDSprites: the sprite times one RGB colour per image, U(0.5, 1)
          const rgb = [0.5 + 0.5 * rng.uniform(), 0.5 + 0.5 * rng.uniform(), 0.5 + 0.5 * rng.uniform()];
          renderSprite(row, out, i * size, 3, rgb);
        } else if (variant === 'noisy') {
          // NoisyDSprites: min(sprite + U(0, 1) noise, 1), i.e. noise background, sprite pixels 1
          rng.fillUniform(out.subarray(i * size, (i + 1) * size));
          renderSprite(row, out, i * size, 3, [1]);
        } else {
          renderSprite(row, out, i * size);
        }
      }
      return out;
    },
  };
}
