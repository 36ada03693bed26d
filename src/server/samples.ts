import { realpath } from 'node:fs/promises';
import { isAbsolute, resolve, sep } from 'node:path';
import { sampleBatch } from '../data/ground-truth.ts';
import { datasetOfConfig } from '../data/registry.ts';
import { Rng } from '../engine/rng.ts';
import { loadRunConfig } from '../run/load-run.ts';
import type { SamplesResponse } from './api-types.ts';
import { HttpError } from './safe-path.ts';

/** Images drawn per run, as the run's pictures draw them; requests take the first n. */
const DRAWN = 256;
export const MAX_SAMPLES = 64;

interface Drawn {
  shape: SamplesResponse['shape'];
  factorNames: string[];
  x: Float32Array;
  factors: Int32Array;
}
const cache = new Map<string, Drawn>();

/**
 * Images of a run's dataset for the encoder view: the first n of the 256 that writeRunPictures draws
 * (the same seeded stream, `new Rng(seed).fork()`), so they are the originals of reconstructions.png.
 * Datasets read from files are read only when those files lie inside RUNS_DIR.
 */
export async function runSamples(
  root: string,
  runDir: string,
  id: string,
  n: number,
): Promise<SamplesResponse> {
  if (!Number.isInteger(n) || n < 1 || n > MAX_SAMPLES) {
    throw new HttpError(400, `n: expected an integer from 1 to ${MAX_SAMPLES}, got ${n}`);
  }
  let config: Awaited<ReturnType<typeof loadRunConfig>>;
  try {
    config = await loadRunConfig(runDir);
  } catch (err) {
    throw new HttpError(422, `run "${id}": ${(err as Error).message}`);
  }
  for (const key of ['dataPath', 'factorsPath'] as const) {
    const path = config[key];
    if (path == null) continue;
    const full = isAbsolute(path) ? path : resolve(runDir, path);
    let real: string;
    try {
      real = await realpath(full);
    } catch {
      throw new HttpError(422, `run "${id}": its ${key} ${path} does not exist`);
    }
    if (!real.startsWith(root + sep)) {
      throw new HttpError(
        403,
        `run "${id}": its ${key} lies outside RUNS_DIR; the server reads no files there`,
      );
    }
  }
  const key = `${runDir}\n${JSON.stringify(config)}`;
  let drawn = cache.get(key);
  if (drawn == null) {
    try {
      const data = datasetOfConfig(config);
      const { x, factors } = sampleBatch(data, DRAWN, new Rng(config.seed).fork());
      drawn = { shape: [DRAWN, ...data.observationShape], factorNames: [...data.factorNames], x, factors };
    } catch (err) {
      throw new HttpError(422, `run "${id}": cannot draw its dataset's images: ${(err as Error).message}`);
    }
    if (cache.size >= 8) cache.delete(cache.keys().next().value!);
    cache.set(key, drawn);
  }
  const [, h, w, c] = drawn.shape;
  const pixels = h * w * c;
  const k = drawn.factors.length / DRAWN;
  const x = drawn.x.slice(0, n * pixels);
  return {
    id,
    shape: [n, h, w, c],
    factorNames: drawn.factorNames,
    factors: Array.from({ length: n }, (_, i) => Array.from(drawn.factors.subarray(i * k, (i + 1) * k))),
    data: Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64'),
  };
}
