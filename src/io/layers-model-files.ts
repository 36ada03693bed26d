import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { InputError } from './input-error.ts';

/** The weight entries of a model.json we read: float32 tensors with non-negative integer dims. */
const weightSpecsSchema = z.array(
  z.object({
    name: z.string(),
    shape: z.array(
      z
        .number()
        .int()
        .min(0)
        .max(2 ** 31),
    ),
    dtype: z.literal('float32').default('float32'),
  }),
);

/**
 * A net as the tfjs Layers format (model.json + weights.bin): what `tf.loadLayersModel` reads in the
 * browser, so the dashboard loads our checkpoints as they are.
 */
export async function saveLayersModel(net: tfl.LayersModel, dir: string): Promise<void> {
  await net.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(
        tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0)),
      );
      const modelJson = {
        format: 'layers-model',
        generatedBy: 'untangle',
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
      await writeFile(join(dir, 'weights.bin'), weights);
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightDataBytes: weights.byteLength,
        },
      };
    }),
  );
}

/** Loads saved weights into a net of the same architecture, checking every name's shape. */
export async function loadLayersWeights(net: tfl.LayersModel, dir: string): Promise<void> {
  const where = join(dir, 'model.json');
  let manifest: { weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }> };
  try {
    manifest = JSON.parse(await readFile(where, 'utf8'));
  } catch (err) {
    throw new InputError(`${where}: not a readable tfjs model.json (${(err as Error).message})`);
  }
  const parsed = weightSpecsSchema.safeParse(manifest.weightsManifest?.[0]?.weights);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(
      `${where}: weightsManifest[0].weights.${issue.path.join('.')}: ${issue.message} (expected [{name, shape: [dims], dtype: "float32"}])`,
    );
  }
  const specs = parsed.data as tf.io.WeightsManifestEntry[];
  const binPath = join(dir, 'weights.bin');
  const data = await readFile(binPath).catch((err: NodeJS.ErrnoException) => {
    throw new InputError(`${binPath}: cannot read the net's weights (${err.code ?? err.message})`);
  });
  const expectedBytes = specs.reduce((sum, s) => sum + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
  if (data.byteLength !== expectedBytes) {
    throw new InputError(`${binPath}: holds ${data.byteLength} bytes, model.json describes ${expectedBytes}`);
  }
  // a diverged run's weights would give NaN pictures and metrics: refuse them here
  const floats = new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const bad = floats.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    let at = bad;
    const spec = specs.find((s) => {
      const n = s.shape.reduce((a, b) => a * b, 1);
      if (at < n) return true;
      at -= n;
      return false;
    });
    throw new InputError(
      `${binPath}: weight ${spec?.name} holds ${floats[bad]} at index ${at}: the net is not finite (a diverged run?); train it again or resume from a good checkpoint`,
    );
  }
  const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  const named = tf.io.decodeWeights(buffer, specs);
  const targets = net.weights;
  if (specs.length !== targets.length) {
    throw new InputError(
      `${where}: holds ${specs.length} weights, the ${net.name} net has ${targets.length}`,
    );
  }
  const values = specs.map((spec, i) => {
    const want = targets[i].shape.join('x');
    if (spec.shape.join('x') !== want) {
      throw new InputError(
        `${where}: weight ${spec.name} has shape ${spec.shape.join('x')}, the net expects ${want}`,
      );
    }
    return named[spec.name];
  });
  net.setWeights(values);
  tf.dispose(values);
}
