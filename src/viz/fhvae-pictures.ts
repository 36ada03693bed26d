import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Utterance } from '../data/speech/corpus.ts';
import type { RgbImage } from '../io/png.ts';
import { writePngAtomic } from '../io/png.ts';
import { decodeSegments, encodeSegments, encodeUtterances, type Fhvae } from '../models/fhvae.ts';
import { type FloatImage, type GridOptions, imageGrid } from './image-grid.ts';

/**
 * Log-mel pictures of an FHVAE: stretches of utterances as heatmaps (time left to right, low bins at the
 * bottom), their reconstructions, and the same content (each segment's z1) decoded with other speakers'
 * s-vectors (MAP μ2) in place of its own z2 — the paper's speaker conversion by replacing z2.
 */
export interface FhvaePictureOptions {
  /** utterances (of different speakers) whose content is shown, one per row */
  sources?: number;
  /** other speakers whose μ2 each source is decoded with, one per column */
  targets?: number;
  /** consecutive non-overlapping segments in each stretch */
  segments?: number;
  upscale?: number;
}

export const FHVAE_PICTURE_DEFAULTS = { sources: 4, targets: 3, segments: 5, upscale: 3 } as const;

/** A [frames, bins] log-mel stretch as an RGB heatmap, values mapped through [low, high] and a colour ramp. */
export function spectrogramImage(
  features: Float32Array,
  frames: number,
  bins: number,
  [low, high]: readonly [number, number],
): FloatImage {
  if (features.length !== frames * bins)
    throw new RangeError(
      `a ${frames}x${bins} spectrogram needs ${frames * bins} values, got ${features.length}`,
    );
  const data = new Float32Array(frames * bins * 3);
  const span = high > low ? high - low : 1;
  for (let t = 0; t < frames; t++) {
    for (let b = 0; b < bins; b++) {
      const [r, g, bl] = heatColour((features[t * bins + b] - low) / span);
      const pixel = ((bins - 1 - b) * frames + t) * 3;
      data[pixel] = r;
      data[pixel + 1] = g;
      data[pixel + 2] = bl;
    }
  }
  return { data, height: bins, width: frames, channels: 3 };
}

// A perceptually ordered dark-to-light ramp (close to matplotlib's magma), as RGB in [0, 1].
const RAMP = [
  [0, 0, 4],
  [81, 18, 124],
  [183, 55, 121],
  [252, 137, 97],
  [252, 253, 191],
].map((c) => c.map((v) => v / 255));

/** The ramp's colour at v in [0, 1] (clamped; NaN is black). */
export function heatColour(v: number): [number, number, number] {
  if (Number.isNaN(v)) return [0, 0, 0];
  const x = Math.min(1, Math.max(0, v)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((k) => RAMP[i][k] * (1 - f) + RAMP[i + 1][k] * f) as [number, number, number];
}

/** The 1st and 99th percentiles of some values: a colour range robust to a few outliers. */
export function robustRange(values: Float32Array[]): [number, number] {
  const all = Float32Array.from(values.flatMap((v) => Array.from(v))).sort();
  if (all.length === 0) return [0, 1];
  return [all[Math.floor(0.01 * (all.length - 1))], all[Math.ceil(0.99 * (all.length - 1))]];
}

export interface FhvaePictures {
  reconstructions: RgbImage;
  speakerSwap: RgbImage;
}

/**
 * reconstructions: originals (top row) over their reconstructions E[x | E[z1], E[z2]];
 * speakerSwap: one row per source stretch: original, reconstruction, then the source's z1 decoded with
 * each target speaker's μ2; the top row shows a stretch of each target speaker above its column.
 */
export async function fhvaePictures(
  model: Fhvae,
  utterances: readonly Utterance[],
  options: FhvaePictureOptions = {},
): Promise<FhvaePictures> {
  const { sources, targets, segments, upscale } = { ...FHVAE_PICTURE_DEFAULTS, ...options };
  const { frames } = model.options;
  const bins = model.bins;
  // one utterance per speaker, longest first, so stretches are as long as asked where possible
  const bySpeaker = new Map<string, Utterance>();
  for (const u of utterances) {
    const kept = bySpeaker.get(u.speaker);
    if (kept == null || u.frames > kept.frames) bySpeaker.set(u.speaker, u);
  }
  const chosen = [...bySpeaker.values()].slice(0, sources + targets);
  if (chosen.length < 2)
    throw new RangeError('speaker-swap pictures need utterances of at least two speakers');
  const usable = chosen.filter((u) => u.frames >= frames);
  if (usable.length < 2) throw new RangeError(`the pictures need utterances of at least ${frames} frames`);
  const stretchSegments = Math.max(
    1,
    Math.min(segments, ...usable.map((u) => Math.floor(u.frames / frames))),
  );
  const width = stretchSegments * frames;
  const sourceUtts = usable.slice(0, Math.min(sources, usable.length - 1));
  const targetUtts = usable.slice(sourceUtts.length, sourceUtts.length + targets);
  const stretch = (u: Utterance) => u.features.slice(0, width * bins);

  const { mu2 } = await encodeUtterances(model, targetUtts);
  const z2Dim = model.options.z2Dim;
  const decoded = sourceUtts.map((u) =>
    tf.tidy(() => {
      const x = tf.tensor3d(stretch(u), [stretchSegments, frames, bins]);
      const { z1Mean, z2Mean } = encodeSegments(model, x);
      const values = (t: tf.Tensor3D) => t.dataSync() as Float32Array;
      return {
        original: stretch(u),
        reconstruction: values(decodeSegments(model, z1Mean, z2Mean)),
        swapped: targetUtts.map((_, j) => {
          const z2 = tf.tile(tf.tensor2d(mu2.subarray(j * z2Dim, (j + 1) * z2Dim), [1, z2Dim]), [
            stretchSegments,
            1,
          ]);
          return values(decodeSegments(model, z1Mean, z2 as tf.Tensor2D));
        }),
      };
    }),
  );
  const range = robustRange([...sourceUtts, ...targetUtts].map(stretch));
  const cell = (v: Float32Array) => spectrogramImage(v, width, bins, range);
  const grid: GridOptions = { upscale, padding: 2, background: 1 };
  const reconstructions = imageGrid(
    [decoded.map((d) => cell(d.original)), decoded.map((d) => cell(d.reconstruction))],
    grid,
  );
  const speakerSwap = imageGrid(
    [
      [null, null, ...targetUtts.map((u) => cell(stretch(u)))],
      ...decoded.map((d) => [cell(d.original), cell(d.reconstruction), ...d.swapped.map(cell)]),
    ],
    grid,
  );
  return { reconstructions, speakerSwap };
}

/** Writes reconstructions.png and speaker-swap.png into a run folder. */
export async function writeFhvaePictures(
  model: Fhvae,
  utterances: readonly Utterance[],
  runDir: string,
  options: FhvaePictureOptions = {},
): Promise<string[]> {
  const pictures = await fhvaePictures(model, utterances, options);
  const written = [join(runDir, 'reconstructions.png'), join(runDir, 'speaker-swap.png')];
  await writePngAtomic(written[0], pictures.reconstructions);
  await writePngAtomic(written[1], pictures.speakerSwap);
  return written;
}
