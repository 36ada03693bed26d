/**
 * Untangle's browser-safe API: nothing here imports a Node module, so a bundler (Vite, esbuild) can take
 * it into a web page. The Node entry (`untangle`) re-exports all of it and adds files, training and runs.
 * @module untangle/browser
 */

export { createDSprites as dsprites, type DSpritesVariant } from './data/dsprites.ts';
export type { GroundTruthData } from './data/ground-truth.ts';
export { sampleBatch } from './data/ground-truth.ts';
export { createShapes3d as shapes3d } from './data/shapes3d.ts';
export { Rng } from './engine/rng.ts';
export { InputError } from './io/input-error.ts';
export type { RgbImage } from './io/png.ts';
export {
  betaVaeScore,
  dci,
  factorVaeScore,
  irs,
  type Matrix,
  type MetricCallOptions,
  metricNames,
  mig,
  modularityExplicitness,
  sap,
  scoreCodes,
  toMatrix,
  unsupervised,
} from './metrics/array-metrics.ts';
export type { BetaVaeScoreOptions, BetaVaeScoreResult } from './metrics/beta-vae-score.ts';
export type { DciOptions, DciResult } from './metrics/dci.ts';
export type { FactorVaeScoreOptions, FactorVaeScoreResult } from './metrics/factor-vae-score.ts';
export type { IrsOptions, IrsResult } from './metrics/irs.ts';
export type { MigOptions, MigResult } from './metrics/mig.ts';
export type { ModularityOptions, ModularityResult } from './metrics/modularity-explicitness.ts';
export type { SapOptions, SapResult } from './metrics/sap.ts';
export type { UnsupervisedResult } from './metrics/unsupervised.ts';
export {
  codeWidths,
  decodeLatents,
  type Encoded,
  encodeObservations,
  INFERENCE_DEFAULTS,
  type InferenceOptions,
} from './models/inference.ts';
export type { Model } from './models/model.ts';
export { loadRunDecoder, type RunDecoder } from './models/run-decoder.ts';
export {
  type FloatImage,
  GRID_DEFAULTS,
  type GridOptions,
  type ImageBatch,
  imageAt,
  imageGrid,
  reconstructionGrid,
  samplesGrid,
} from './viz/image-grid.ts';
export {
  type Decode,
  decodeTraversal,
  TRAVERSAL_DEFAULTS,
  type Traversal,
  type TraversalOptions,
  traversalFrames,
  traversalGrid,
  traversalValues,
} from './viz/traversal.ts';
