/**
 * The dashboard API's responses: one source of truth for the server (src/server) and the web app (web/),
 * which imports these as types only. Plain data, nothing Node-specific; the one import is the latent
 * layout's type, itself plain data.
 */
import type { LatentLayout } from '../models/latent-layout.ts';

/** One line of a run's log.jsonl: step, every loss term by name, KL per dim. */
export interface LogLine {
  step: number;
  [term: string]: number | number[];
}

/** What the runs list shows of a run folder. Its id is its path inside RUNS_DIR, '/'-separated. */
export interface RunSummary {
  id: string;
  /** config.json as written (null when unreadable) */
  config: Record<string, unknown> | null;
  model: string | null;
  dataset: string | null;
  /** configured steps */
  steps: number | null;
  /** the last logged step, null when nothing is logged yet */
  lastStep: number | null;
  /** the last log line's scalar terms (loss terms, img/s) */
  lastLosses: Record<string, number>;
  /** one number per metric from metrics.json (its `headline`, else its numeric fields) */
  headline: Record<string, number>;
  hasCheckpoint: boolean;
  /** the sweep folder this run belongs to, if any */
  sweep: string | null;
  /** ISO time of the newest of config.json, log.jsonl and metrics.json */
  modified: string;
}

/** A net saved in the run's checkpoint: its model.json, loadable with tf.loadLayersModel. */
export interface CheckpointNet {
  name: string;
  /** URL path of model.json (weights.bin beside it) */
  modelUrl: string;
}

export interface RunDetail extends RunSummary {
  /** metrics.json as written, or null */
  metrics: unknown;
  /** report.md (demo runs) or null */
  report: string | null;
  /** pictures at the top of the run folder, as URL paths by file name */
  pictures: Record<string, string>;
  checkpoint: { dir: string; step: number | null; nets: CheckpointNet[] } | null;
  /**
   * the latent space the explorer needs (src/models/latent-layout.ts): the run's latent.json, or for a
   * run trained before it, derived from config.json (`source`); null when it is not a model the registry knows
   */
  latent:
    | (LatentLayout & {
        source: 'latent.json' | 'config';
        /** KL per continuous dim from the last log line that has one */
        klPerDim: number[] | null;
      })
    | null;
  logLines: number;
}

export interface LogResponse {
  id: string;
  /** every `stride`-th line, and always the last */
  entries: LogLine[];
  /** lines in log.jsonl */
  total: number;
  stride: number;
}

/** Images of the run's dataset, drawn as the run's pictures draw them (the run's seed). */
export interface SamplesResponse {
  id: string;
  /** [n, height, width, channels] */
  shape: [number, number, number, number];
  factorNames: string[];
  /** n rows of factor indices */
  factors: number[][];
  /** n·h·w·c float32 values in [0, 1], little-endian, base64 */
  data: string;
}

export interface SweepSummary {
  id: string;
  /** finished jobs */
  rows: number;
  /** where the rows come from: the aggregate, or the per-job result files of an unaggregated sweep */
  source: 'results.json' | 'results/';
  modified: string;
}

export interface SweepDetail {
  id: string;
  source: SweepSummary['source'];
  /** every key of the flattened rows, in first-seen order */
  columns: string[];
  /** one row per job: nested objects (hyperparameters, headline) flattened into their keys */
  rows: Array<Record<string, unknown>>;
  /** per row, the id of its run folder when the dashboard lists it */
  runIds: Array<string | null>;
  /** `untangle aggregate`'s plots/*.svg, as URL paths by file name */
  plots: Record<string, string>;
}

export interface ApiError {
  error: string;
}
