import type * as vegaLite from 'vega-lite';
import type { GroundTruthData } from '../data/ground-truth.ts';
import { InputError } from '../io/input-error.ts';
import type { Model } from '../models/model.ts';
import { classFactor, encodeMeans, latentSample } from './latent-pictures.ts';
import { labelledPoints, scatterSpec } from './latent-scatter.ts';
import { vegaLiteToSvg } from './vega-render.ts';

/** A trained model to compare, under the title its panel gets (e.g. `autoencoder`, `vae`). */
export interface ComparedModel {
  title: string;
  model: Model;
  data: GroundTruthData;
}

/**
 * The lectures' AE-vs-VAE picture: the codes E[z|x] of the same labelled images under each model, one
 * scatter per model side by side with one shared legend (2-D latents; the images are drawn by `seed`).
 * Returns the Vega-Lite spec and each model's codes [points, 2].
 */
export function latentComparison(
  models: readonly ComparedModel[],
  { points = 2000, seed = 0 }: { points?: number; seed?: number } = {},
): { spec: vegaLite.TopLevelSpec; codes: Float32Array[] } {
  if (models.length === 0) throw new InputError('latent comparison: no model given');
  const data = models[0].data;
  const classes = classFactor(data);
  if (classes == null)
    throw new InputError(`${data.name}: the scatter colours codes by a class factor, the dataset has none`);
  for (const { title, model, data: other } of models) {
    if (model.latentDim !== 2)
      throw new InputError(`${title}: a ${model.latentDim}-D latent, the scatter needs latentDim 2`);
    if (other.name !== data.name)
      throw new InputError(
        `${title}: trained on ${other.name}, the others on ${data.name}: compare on one dataset`,
      );
  }
  const { x, labels } = latentSample(data, points, seed);
  const codes = models.map(({ model }) => encodeMeans(model, x, points, data.observationShape));
  const panels = models.map(({ title }, i) => {
    const {
      $schema: _,
      background: __,
      ...panel
    } = scatterSpec(labelledPoints(codes[i], labels, classes.classNames), {
      title: `${title}: E[z|x] of ${points} ${data.name} images`,
      legendTitle: classes.name,
      classNames: classes.classNames,
      size: 360,
    }) as unknown as Record<string, unknown>;
    return panel;
  });
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    background: 'white',
    hconcat: panels,
    resolve: { scale: { color: 'shared' } },
  } as unknown as vegaLite.TopLevelSpec;
  return { spec, codes };
}

/** latentComparison as a standalone SVG. */
export function latentComparisonSvg(
  models: readonly ComparedModel[],
  options: { points?: number; seed?: number } = {},
): Promise<string> {
  return vegaLiteToSvg(latentComparison(models, options).spec);
}
