import { applyLda, fitLda } from './speaker-lda.ts';

/**
 * Speaker verification as the FHVAE paper measures it (Hsu, Zhang & Glass 2017, §5): every pair of test
 * utterances is a trial, a target trial when both come from the same speaker; the score is the cosine
 * of the two embeddings (optionally after LDA fitted on the training speakers); the result is the
 * equal error rate, where the false-negative and false-positive rates meet on the ROC.
 */
export interface Trials {
  scores: Float64Array;
  /** 1 where both utterances are the same speaker's */
  target: Uint8Array;
}

/** All pairs i < j of row-major [n, dim] embeddings, scored by cosine similarity. */
export function cosineTrials(vectors: ArrayLike<number>, dim: number, speakers: readonly string[]): Trials {
  const n = speakers.length;
  if (vectors.length !== n * dim) {
    throw new Error(`speaker verification: ${vectors.length} values are not ${n} embeddings of ${dim} dims`);
  }
  const unit = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let f = 0; f < dim; f++) norm += vectors[i * dim + f] ** 2;
    // a zero embedding scores 0 against everything
    const inverse = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let f = 0; f < dim; f++) unit[i * dim + f] = vectors[i * dim + f] * inverse;
  }
  const pairs = (n * (n - 1)) / 2;
  const scores = new Float64Array(pairs);
  const target = new Uint8Array(pairs);
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let f = 0; f < dim; f++) s += unit[i * dim + f] * unit[j * dim + f];
      scores[k] = s;
      target[k] = speakers[i] === speakers[j] ? 1 : 0;
      k++;
    }
  }
  return { scores, target };
}

/**
 * The equal error rate of scores (higher = more likely the same speaker). The ROC is traced by lowering
 * the threshold through the sorted scores (tied scores move together, as one step); on the segment where
 * FNR − FPR changes sign, the crossing is interpolated linearly.
 */
export function equalErrorRate(scores: ArrayLike<number>, target: ArrayLike<number | boolean>): number {
  const n = scores.length;
  let targets = 0;
  for (let i = 0; i < n; i++) if (target[i]) targets++;
  const nontargets = n - targets;
  if (targets === 0 || nontargets === 0) {
    throw new Error(`EER needs target and non-target trials, got ${targets} and ${nontargets}`);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  // the threshold above every score accepts nothing: FPR 0, FNR 1
  let fpr = 0;
  let fnr = 1;
  let acceptedTargets = 0;
  let acceptedNontargets = 0;
  let i = 0;
  while (i < n) {
    const score = scores[order[i]];
    while (i < n && scores[order[i]] === score) {
      if (target[order[i]]) acceptedTargets++;
      else acceptedNontargets++;
      i++;
    }
    const nextFpr = acceptedNontargets / nontargets;
    const nextFnr = 1 - acceptedTargets / targets;
    if (nextFnr <= nextFpr) {
      const before = fnr - fpr;
      const after = nextFnr - nextFpr;
      const t = before / (before - after);
      return fpr + t * (nextFpr - fpr);
    }
    fpr = nextFpr;
    fnr = nextFnr;
  }
  return fpr;
}

/** EER of cosine scoring over every pair of the embeddings ([n, dim] row-major). */
export function eer(vectors: ArrayLike<number>, dim: number, speakers: readonly string[]): number {
  const { scores, target } = cosineTrials(vectors, dim, speakers);
  return equalErrorRate(scores, target);
}

/**
 * LDA fitted on the training embeddings and their speakers, applied to the test embeddings; keeps
 * min(dim, training speakers − 1) directions unless `outDim` says fewer.
 */
export function lda(
  train: ArrayLike<number>,
  trainSpeakers: readonly string[],
  test: ArrayLike<number>,
  dim: number,
  options: { outDim?: number; regularisation?: number } = {},
): { vectors: Float32Array; dim: number } {
  const fitted = fitLda(train, dim, trainSpeakers, options);
  return { vectors: applyLda(fitted, test), dim: fitted.outDim };
}
