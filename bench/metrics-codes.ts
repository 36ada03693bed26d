import { Rng } from '../src/engine/rng.ts';

/** dSprites' factor sizes: shape, scale, orientation, posX, posY. */
export const sizes = [3, 6, 40, 32, 32];

/**
 * The fixed code bench:metrics and metrics:variants score: 15,000 points of dSprites' factors, 10 dims —
 * five each track one factor (nonlinearly, with noise), one mixes posX and posY, four are correlated noise.
 */
export function benchCodes(): {
  codes: Float64Array;
  factors: Int32Array;
  n: number;
  dim: number;
  /** log-variances of posteriors around the codes: each dim's own noise (0.1, 0.2, 1), for Chen et al.'s MIG */
  logVariances: Float64Array;
} {
  const n = 15_000;
  const dim = 10;
  const rng = new Rng(1);
  const factors = new Int32Array(n * sizes.length);
  const codes = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    const f = sizes.map((s) => rng.int(s));
    factors.set(f, i * sizes.length);
    const row = codes.subarray(i * dim, (i + 1) * dim);
    f.forEach((v, j) => {
      row[j] = Math.tanh((2 * v) / (sizes[j] - 1) - 1) + 0.1 * rng.normal();
    });
    row[5] = (f[3] - f[4]) / 16 + 0.2 * rng.normal();
    const shared = rng.normal();
    for (let d = 6; d < dim; d++) row[d] = 0.5 * shared + rng.normal();
  }
  const sigma = [0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 1, 1, 1, 1];
  const logVariances = Float64Array.from({ length: n * dim }, (_, i) => 2 * Math.log(sigma[i % dim]));
  return { codes, factors, n, dim, logVariances };
}
