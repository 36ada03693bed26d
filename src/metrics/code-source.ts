import { type GroundTruthData, stateCount } from '../data/ground-truth.ts';
import type { Rng } from '../engine/rng.ts';
import { InputError } from '../io/input-error.ts';
import { histogramDiscretize } from './information.ts';
import { type CodeKind, codesOf, type Posterior, type PosteriorEncoder } from './representation.ts';

/**
 * n points: their codes [n, dim] and discrete factors [n, numFactors], row-major. A continuous factor's
 * column of `factors` holds its bin; `values` (pools with continuous factors) the factors as read.
 */
export interface CodeBatch {
  n: number;
  codes: Float64Array;
  factors: Int32Array;
  values?: Float64Array;
  /** the posterior q(z|x) of each point, where the source knows it (an encoder; a pool given log-variances) */
  posterior?: { mean: ArrayLike<number>; logVar: ArrayLike<number> };
}

/** The batch a worker thread receives: its points without the posterior, which no per-factor fit reads. */
export function withoutPosterior({ n, codes, factors, values }: CodeBatch): CodeBatch {
  return { n, codes, factors, values };
}

/**
 * Where every metric gets its points from: codes paired with the factors that produced them. Two kinds
 * exist: a model encoding fresh ground-truth observations, and a fixed pool of codes and factors read
 * from .npy files (any model, any framework). Metrics see only this interface.
 */
export interface CodeSource {
  readonly factorNames: readonly string[];
  readonly factorSizes: readonly number[];
  /** per factor: continuous (its labels are histogram bins, its values in CodeBatch.values); absent: none */
  readonly continuous?: readonly boolean[];
  readonly dim: number;
  /** Independent samples of the given sizes; a pool gives disjoint rows, scaled down when too small. */
  samples(counts: readonly number[], rng: Rng): CodeBatch[];
  /** n random points. */
  sample(n: number, rng: Rng): CodeBatch;
  /** Point i drawn with factor k equal to values[i] and every other factor random. */
  sampleWithFactor(k: number, values: ArrayLike<number>, rng: Rng): CodeBatch;
  /** One value of factor k, drawn as the source draws its points. */
  factorValue(k: number, rng: Rng): number;
  /** n points sharing every factor but k (those of one random point); factor k varies freely. */
  sampleVaryingFactor(k: number, n: number, rng: Rng): CodeBatch;
  /** Point i drawn with exactly the factors of row i of `factors` [n, numFactors]. */
  sampleWithFactors(factors: Int32Array, rng: Rng): CodeBatch;
}

const MAX_CACHED_STATES = 1 << 24;

/**
 * A model's codes of fresh observations of ground-truth data, encoded `batchSize` at a time. When the data
 * is deterministic the posterior of every factor combination is computed once and reused: the BetaVAE and
 * FactorVAE scores draw ~3 million points from dSprites' 737,280 images.
 */
export function groundTruthSource(
  data: GroundTruthData,
  encoder: PosteriorEncoder,
  kind: CodeKind,
  {
    batchSize = 64,
    cache = posteriorCacheFor(data, encoder.dim),
  }: { batchSize?: number; cache?: PosteriorCache | null } = {},
): CodeSource {
  const k = data.factorSizes.length;
  const dim = encoder.dim;

  const encodeRows = (factors: Int32Array, rng: Rng): Posterior => {
    const n = factors.length / k;
    const mean = new Float32Array(n * dim);
    const logVar = new Float32Array(n * dim);
    for (let start = 0; start < n; start += batchSize) {
      const m = Math.min(batchSize, n - start);
      const x = data.sampleObservationsFromFactors(factors.subarray(start * k, (start + m) * k), rng);
      const p = encoder.encodePosterior(x, m);
      mean.set(p.mean, start * dim);
      logVar.set(p.logVar, start * dim);
    }
    return { mean, logVar };
  };

  const batchOf = (factors: Int32Array, rng: Rng): CodeBatch => {
    const posterior = cache
      ? cache.lookup(factors, (missing) => encodeRows(missing, rng))
      : encodeRows(factors, rng);
    return { n: factors.length / k, codes: codesOf(posterior, kind, rng), factors, posterior };
  };

  return {
    factorNames: data.factorNames,
    factorSizes: data.factorSizes,
    dim,
    samples: (counts, rng) => counts.map((n) => batchOf(data.sampleFactors(n, rng), rng)),
    sample: (n, rng) => batchOf(data.sampleFactors(n, rng), rng),
    sampleWithFactor(factor, values, rng) {
      const factors = data.sampleFactors(values.length, rng);
      for (let i = 0; i < values.length; i++) factors[i * k + factor] = values[i];
      return batchOf(factors, rng);
    },
    factorValue: (factor, rng) => data.sampleFactors(1, rng)[factor],
    sampleWithFactors: (factors, rng) => batchOf(Int32Array.from(factors), rng),
    sampleVaryingFactor(factor, n, rng) {
      const fixed = data.sampleFactors(1, rng);
      const factors = data.sampleFactors(n, rng);
      for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) if (j !== factor) factors[i * k + j] = fixed[j];
      return batchOf(factors, rng);
    },
  };
}

export interface PosteriorCache {
  /** posteriors of the rows of `factors`, encoding (once) those not seen yet */
  lookup(factors: Int32Array, encode: (missing: Int32Array) => Posterior): Posterior;
  /** takes the posterior of every state at once, row s = state s (mixed-radix index, factorsOfStates' order) */
  fill(table: Posterior): void;
}

/**
 * Posteriors by factor combination (mixed-radix index), filled on first use; null when observations are
 * noisy (not a function of the factors) or there are too many combinations. Share one between the mean and
 * sampled sources of the same encoder.
 */
export function posteriorCacheFor(data: GroundTruthData, dim: number): PosteriorCache | null {
  const { factorSizes } = data;
  const states = stateCount(factorSizes);
  if (!data.deterministic || states > MAX_CACHED_STATES) return null;
  const slotOf = new Int32Array(states).fill(-1);
  let mean: Float32Array = new Float32Array(1024 * dim);
  let logVar: Float32Array = new Float32Array(1024 * dim);
  let used = 0;
  const k = factorSizes.length;
  const indexOf = (factors: Int32Array, i: number) => {
    let index = 0;
    for (let j = 0; j < k; j++) index = index * factorSizes[j] + factors[i * k + j];
    return index;
  };
  const grow = (slots: number) => {
    if (slots * dim <= mean.length) return;
    const size = Math.max(slots, 2 * (mean.length / dim)) * dim;
    const m = new Float32Array(size);
    const l = new Float32Array(size);
    m.set(mean);
    l.set(logVar);
    mean = m;
    logVar = l;
  };
  return {
    fill(table: Posterior) {
      if (table.mean.length !== states * dim || table.logVar.length !== states * dim)
        throw new Error(`posterior table: ${table.mean.length} values, expected ${states} states x ${dim}`);
      mean = table.mean;
      logVar = table.logVar;
      used = states;
      for (let state = 0; state < states; state++) slotOf[state] = state;
    },
    lookup(factors: Int32Array, encode: (missing: Int32Array) => Posterior): Posterior {
      const n = factors.length / k;
      const indices = Int32Array.from({ length: n }, (_, i) => indexOf(factors, i));
      const missingRows: number[] = [];
      for (let i = 0; i < n; i++) {
        if (slotOf[indices[i]] === -1) {
          slotOf[indices[i]] = -2; // claimed: duplicates within the batch are encoded once
          missingRows.push(i);
        }
      }
      if (missingRows.length > 0) {
        const missing = new Int32Array(missingRows.length * k);
        missingRows.forEach((row, r) => {
          missing.set(factors.subarray(row * k, row * k + k), r * k);
        });
        const p = encode(missing);
        grow(used + missingRows.length);
        missingRows.forEach((row, r) => {
          slotOf[indices[row]] = used;
          mean.set(p.mean.subarray(r * dim, (r + 1) * dim), used * dim);
          logVar.set(p.logVar.subarray(r * dim, (r + 1) * dim), used * dim);
          used++;
        });
      }
      const out = { mean: new Float32Array(n * dim), logVar: new Float32Array(n * dim) };
      for (let i = 0; i < n; i++) {
        const slot = slotOf[indices[i]] * dim;
        out.mean.set(mean.subarray(slot, slot + dim), i * dim);
        out.logVar.set(logVar.subarray(slot, slot + dim), i * dim);
      }
      return out;
    },
  };
}

/** Which factors of a pool are continuous, and the number of histogram bins they are discretised into. */
export interface ContinuousFactors {
  columns: readonly number[];
  /** disentanglement_lib's discretizer: equal-width bins over the column's range (numpy.histogram edges) */
  bins: number;
}

/** Factor f of a batch as a regression target: a continuous factor's values, else its labels. */
export function factorTarget(batch: CodeBatch, numFactors: number, f: number): Float64Array {
  const out = new Float64Array(batch.n);
  const from = batch.values ?? batch.factors;
  for (let i = 0; i < batch.n; i++) out[i] = from[i * numFactors + f];
  return out;
}

/** The index of every continuous factor of a source. */
export const continuousFactors = (source: CodeSource): number[] =>
  (source.continuous ?? []).flatMap((c, f) => (c ? [f] : []));

/** One line, exit 2, for a metric whose definition needs discrete factors (a classifier, an intervention). */
export function refuseContinuous(source: CodeSource, metric: string, why: string): void {
  const found = continuousFactors(source);
  if (found.length > 0) {
    const names = found.map((f) => source.factorNames[f]).join(', ');
    throw new InputError(
      `${metric}: factor ${names} is continuous, but ${why}; leave ${metric} out of --metrics`,
    );
  }
}

/**
 * A fixed pool of codes and factors (e.g. from `untangle metrics --codes Z.npy --factors Y.npy`). Factor
 * values are relabelled 0..m-1 in sorted order; the `continuous` columns are first discretised into
 * `bins` equal-width bins over their range (empty bins dropped), and keep their values for the metrics
 * that regress on them. "A point with factor k equal to v" is a row drawn uniformly among the pool rows
 * whose factor k equals v (for a continuous factor: in the same bin).
 */
export function poolSource(
  codes: Float64Array,
  factorsIn: Int32Array | Float64Array,
  rows: number,
  dim: number,
  factorNames?: readonly string[],
  {
    continuous = { columns: [], bins: 20 },
    logVariances,
  }: {
    continuous?: ContinuousFactors;
    /** log-variances [rows, dim] of the posteriors whose means are `codes` (Chen et al.'s MIG needs them) */
    logVariances?: Float64Array;
  } = {},
): CodeSource {
  if (rows === 0) throw new InputError('the pool of codes is empty');
  const k = factorsIn.length / rows;
  const isContinuous = Array.from({ length: k }, (_, j) => continuous.columns.includes(j));
  const rawValues = continuous.columns.length > 0 ? Float64Array.from(factorsIn) : undefined;
  const factors = Int32Array.from(factorsIn);
  for (const j of continuous.columns) {
    const bins = histogramDiscretize(
      Float64Array.from({ length: rows }, (_, i) => factorsIn[i * k + j]),
      continuous.bins,
    );
    for (let i = 0; i < rows; i++) factors[i * k + j] = bins[i];
  }
  const labels = new Int32Array(factors.length);
  const factorSizes: number[] = [];
  const rowsByValue: Int32Array[][] = [];
  for (let j = 0; j < k; j++) {
    const values = [...new Set(Array.from({ length: rows }, (_, i) => factors[i * k + j]))].sort(
      (a, b) => a - b,
    );
    const label = new Map(values.map((v, index) => [v, index]));
    const lists: number[][] = values.map(() => []);
    for (let i = 0; i < rows; i++) {
      const l = label.get(factors[i * k + j])!;
      labels[i * k + j] = l;
      lists[l].push(i);
    }
    factorSizes.push(values.length);
    rowsByValue.push(lists.map((list) => Int32Array.from(list)));
  }

  const groupsBy: VaryingGroups[] = [];
  let rowsByCombination: Map<string, number[]> | null = null;
  const batchOf = (picked: ArrayLike<number>): CodeBatch => {
    const n = picked.length;
    const out: CodeBatch = { n, codes: new Float64Array(n * dim), factors: new Int32Array(n * k) };
    if (rawValues) out.values = new Float64Array(n * k);
    const logVar = logVariances ? new Float64Array(n * dim) : undefined;
    if (logVar) out.posterior = { mean: out.codes, logVar };
    for (let i = 0; i < n; i++) {
      out.codes.set(codes.subarray(picked[i] * dim, picked[i] * dim + dim), i * dim);
      out.factors.set(labels.subarray(picked[i] * k, picked[i] * k + k), i * k);
      out.values?.set(rawValues!.subarray(picked[i] * k, picked[i] * k + k), i * k);
      logVar?.set(logVariances!.subarray(picked[i] * dim, picked[i] * dim + dim), i * dim);
    }
    return out;
  };

  return {
    factorNames: factorNames ?? Array.from({ length: k }, (_, j) => `factor${j}`),
    factorSizes,
    ...(rawValues ? { continuous: isContinuous } : {}),
    dim,
    samples(counts, rng) {
      const order = rng.shuffle(Array.from({ length: rows }, (_, i) => i));
      const wanted = counts.reduce((a, b) => a + b, 0);
      const scale = wanted > rows ? rows / wanted : 1;
      let start = 0;
      return counts.map((count) => {
        const n = Math.floor(count * scale);
        const batch = batchOf(order.slice(start, start + n));
        start += n;
        return batch;
      });
    },
    sample: (n, rng) => batchOf(Array.from({ length: n }, () => rng.int(rows))),
    sampleWithFactor(factor, values, rng) {
      return batchOf(
        Array.from(values, (v) => {
          const candidates = rowsByValue[factor][v];
          return candidates[rng.int(candidates.length)];
        }),
      );
    },
    factorValue: (factor, rng) => labels[rng.int(rows) * k + factor],
    sampleWithFactors(wanted, rng) {
      if (rowsByCombination == null) {
        rowsByCombination = new Map();
        for (let i = 0; i < rows; i++) {
          const key = labels.subarray(i * k, i * k + k).join(',');
          const list = rowsByCombination.get(key);
          if (list) list.push(i);
          else rowsByCombination.set(key, [i]);
        }
      }
      const byCombination = rowsByCombination;
      return batchOf(
        Array.from({ length: wanted.length / k }, (_, i) => {
          const key = wanted.subarray(i * k, i * k + k).join(',');
          const candidates = byCombination.get(key);
          if (candidates == null) {
            throw new InputError(
              `no point has the factors [${key}]: a metric that intervenes on a factor needs every combination of the factors (a full grid)`,
            );
          }
          return candidates[rng.int(candidates.length)];
        }),
      );
    },
    sampleVaryingFactor(factor, n, rng) {
      groupsBy[factor] ??= groupsVaryingOnly(labels, rows, k, factor);
      const { groupOf, members, eligible } = groupsBy[factor];
      if (eligible.length === 0) {
        throw new InputError(
          `factor ${factor}: no two points share all the other factors, so it cannot be varied alone (a metric that fixes all factors but one needs a grid-like pool)`,
        );
      }
      const group = members[groupOf[eligible[rng.int(eligible.length)]]];
      return batchOf(Array.from({ length: n }, () => group[rng.int(group.length)]));
    },
  };
}

interface VaryingGroups {
  /** per row: its group (the rows sharing every other factor) */
  groupOf: Int32Array;
  members: Int32Array[];
  /** rows whose group holds at least two rows: a random one picks a group as a random point would */
  eligible: Int32Array;
}

function groupsVaryingOnly(labels: Int32Array, rows: number, k: number, factor: number): VaryingGroups {
  const groupOfKey = new Map<string, number>();
  const lists: number[][] = [];
  const groupOf = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const parts: number[] = [];
    for (let j = 0; j < k; j++) if (j !== factor) parts.push(labels[i * k + j]);
    const key = parts.join(',');
    let g = groupOfKey.get(key);
    if (g == null) {
      g = lists.length;
      groupOfKey.set(key, g);
      lists.push([]);
    }
    lists[g].push(i);
    groupOf[i] = g;
  }
  const members = lists.map((list) => Int32Array.from(list));
  const eligible = Int32Array.from({ length: rows }, (_, i) => i).filter(
    (i) => members[groupOf[i]].length > 1,
  );
  return { groupOf, members, eligible };
}
