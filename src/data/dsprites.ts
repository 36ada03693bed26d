import type { Rng } from '../engine/rng.ts';
import type { GroundTruthData } from './ground-truth.ts';

/**
 * Procedural dSprites (Matthey et al. 2017): shape {square, ellipse, heart} x scale (6 values in
 * [0.5, 1]) x orientation (40 values in [0, 2π], both ends included as in the original latents_values)
 * x posX (32) x posY (32) = 737,280 binary 64x64 images, indexed in the original order (posY fastest).
 * The original's exact rasteriser is not public: sprites here are drawn by point-in-shape tests at
 * pixel centres, the centre mapped from [0, 1] to pixels 10..54 so every rotated sprite stays inside.
 */
export const DSPRITES_FACTOR_NAMES = ['shape', 'scale', 'orientation', 'posX', 'posY'] as const;
export const DSPRITES_FACTOR_SIZES = [3, 6, 40, 32, 32] as const;
export const DSPRITES_SIZE = 737_280;
const IMAGE = 64;
/** half the side of a scale-1 square, in pixels */
const UNIT = 6.4;
const MARGIN = 10;

export type DSpritesVariant = 'binary' | 'color' | 'noisy';

const linspace = (a: number, b: number, n: number) =>
  Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
export const DSPRITES_VALUES = {
  shape: [1, 2, 3],
  scale: linspace(0.5, 1, 6),
  orientation: linspace(0, 2 * Math.PI, 40),
  posX: linspace(0, 1, 32),
  posY: linspace(0, 1, 32),
};

/** Flat index of a factor row in the original array (color, the constant first latent, omitted). */
export function indexOfFactors(f: ArrayLike<number>): number {
  return (((f[0] * 6 + f[1]) * 40 + f[2]) * 32 + f[3]) * 32 + f[4];
}

export function factorsOfIndex(index: number): number[] {
  const out = new Array(5);
  for (let k = 4; k >= 0; k--) {
    out[k] = index % DSPRITES_FACTOR_SIZES[k];
    index = Math.floor(index / DSPRITES_FACTOR_SIZES[k]);
  }
  return out;
}

/** The original's latents_values row: [color, shape, scale, orientation, posX, posY]. */
export function latentValues(f: ArrayLike<number>): number[] {
  const v = DSPRITES_VALUES;
  return [1, v.shape[f[0]], v.scale[f[1]], v.orientation[f[2]], v.posX[f[3]], v.posY[f[4]]];
}

/** Is the point (u, v), in units of the sprite's half-size with v pointing up, inside the shape? */
function inside(shape: number, u: number, v: number): boolean {
  if (shape === 0) return Math.abs(u) <= 1 && Math.abs(v) <= 1;
  if (shape === 1) return u * u + (v * v) / 0.25 <= 1;
  // heart: (x² + y² − 1)³ − x² y³ ≤ 0, which spans y in [−1, 1.25]: recentre and fit in [−1, 1]
  const x = u * 1.15;
  const y = v * 1.15 + 0.1;
  const r = x * x + y * y - 1;
  return r * r * r - x * x * y * y * y <= 0;
}

interface Mask {
  size: number;
  bits: Uint8Array;
}

/** One sprite rasterised around its centre pixel: (shape, scale, orientation) -> square mask. */
const masks = new Map<number, Mask>();
function spriteMask(shape: number, scale: number, orientation: number): Mask {
  const key = (shape * 6 + scale) * 40 + orientation;
  let mask = masks.get(key);
  if (mask != null) return mask;
  const radius = UNIT * DSPRITES_VALUES.scale[scale];
  const half = Math.ceil(radius * Math.SQRT2) + 1;
  const size = 2 * half + 1;
  const bits = new Uint8Array(size * size);
  const angle = DSPRITES_VALUES.orientation[orientation];
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const dx = (col - half) / radius;
      const dy = -(row - half) / radius;
      // rotate the pixel back into the sprite's frame (the sprite turns counter-clockwise)
      bits[row * size + col] = inside(shape, cos * dx + sin * dy, -sin * dx + cos * dy) ? 1 : 0;
    }
  }
  mask = { size, bits };
  masks.set(key, mask);
  return mask;
}

/** Draws the binary sprite of one factor row into out[offset ..] as a 64x64 image, `channels` values per pixel. */
export function renderSprite(
  f: ArrayLike<number>,
  out: Float32Array | Uint8Array,
  offset = 0,
  channels = 1,
  value: ArrayLike<number> = [1],
): void {
  const mask = spriteMask(f[0], f[1], f[2]);
  const half = (mask.size - 1) / 2;
  const cx = Math.round(MARGIN + (IMAGE - 1 - 2 * MARGIN) * DSPRITES_VALUES.posX[f[3]]);
  const cy = Math.round(MARGIN + (IMAGE - 1 - 2 * MARGIN) * DSPRITES_VALUES.posY[f[4]]);
  for (let r = 0; r < mask.size; r++) {
    const y = cy - half + r;
    if (y < 0 || y >= IMAGE) continue;
    for (let c = 0; c < mask.size; c++) {
      const x = cx - half + c;
      if (x < 0 || x >= IMAGE || mask.bits[r * mask.size + c] === 0) continue;
      const o = offset + (y * IMAGE + x) * channels;
      for (let k = 0; k < channels; k++) out[o + k] = value[k % value.length];
    }
  }
}

export function createDSprites({ variant = 'binary' }: { variant?: DSpritesVariant } = {}): GroundTruthData {
  const channels = variant === 'binary' ? 1 : 3;
  const pixels = IMAGE * IMAGE * channels;
  return {
    name: variant === 'binary' ? 'dsprites' : `dsprites-${variant}`,
    factorNames: DSPRITES_FACTOR_NAMES,
    factorSizes: DSPRITES_FACTOR_SIZES,
    observationShape: [IMAGE, IMAGE, channels],
    sampleFactors(n: number, rng: Rng): Int32Array {
      const out = new Int32Array(n * 5);
      for (let i = 0; i < n * 5; i++) out[i] = rng.int(DSPRITES_FACTOR_SIZES[i % 5]);
      return out;
    },
    sampleObservationsFromFactors(factors: Int32Array, rng: Rng): Float32Array {
      const n = factors.length / 5;
      const out = new Float32Array(n * pixels);
      for (let i = 0; i < n; i++) {
        const row = factors.subarray(i * 5, i * 5 + 5);
        if (variant === 'color') {
          // disentanglement_lib's ColorDSprites: the sprite times a random RGB colour in U(0.5, 1)
          renderSprite(row, out, i * pixels, 3, [
            0.5 + 0.5 * rng.uniform(),
            0.5 + 0.5 * rng.uniform(),
            0.5 + 0.5 * rng.uniform(),
          ]);
        } else if (variant === 'noisy') {
          // NoisyDSprites: U(0, 1) noise background, sprite pixels set to 1
          rng.fillUniform(out.subarray(i * pixels, (i + 1) * pixels));
          renderSprite(row, out, i * pixels, 3, [1]);
        } else {
          renderSprite(row, out, i * pixels);
        }
      }
      return out;
    },
  };
}
