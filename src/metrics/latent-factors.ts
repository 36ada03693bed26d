/**
 * Which ground-truth factor each latent dim captures, read off MIG's mutual-information matrix: the
 * factor with the largest normalised MI, I(z_d; v_k) / H(v_k) (the share of the factor's entropy the
 * dim holds; raw MI would favour factors with many values), and how exclusively:
 * - `share`: of the dim's normalised MI over all factors, the part that is about its factor (1: it
 *   tells about nothing else);
 * - `lead`: its normalised MI on that factor minus the next-best dim's on the same factor (MIG's gap
 *   for that factor when this dim is the best one; ≤ 0 when another dim holds the factor better).
 */
export interface LatentFactor {
  dim: number;
  factor: string;
  /** I(z_d; v_k) / H(v_k) of the captured factor */
  normalizedMi: number;
  share: number;
  lead: number;
}

export function latentFactors(
  mutualInformation: readonly (readonly number[])[],
  factorEntropy: readonly number[],
  factorNames: readonly string[],
  dims: readonly number[],
): LatentFactor[] {
  const normalized = mutualInformation.map((row) =>
    row.map((mi, k) => (factorEntropy[k] > 0 ? mi / factorEntropy[k] : 0)),
  );
  return dims.map((dim) => {
    const row = normalized[dim];
    let best = 0;
    for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
    const total = row.reduce((a, b) => a + b, 0);
    let runnerUp = 0;
    normalized.forEach((other, d) => {
      if (d !== dim) runnerUp = Math.max(runnerUp, other[best]);
    });
    return {
      dim,
      factor: factorNames[best] ?? `factor ${best}`,
      normalizedMi: row[best],
      share: total > 0 ? row[best] / total : 0,
      lead: row[best] - runnerUp,
    };
  });
}
