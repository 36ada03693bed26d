import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { InputError } from './input-error.ts';

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
  const specs = manifest.weightsManifest?.[0]?.weights;
  if (!Array.isArray(specs)) throw new InputError(`${where}: has no weightsManifest[0].weights`);
  const data = await readFile(join(dir, 'weights.bin'));
  const expectedBytes = specs.reduce((sum, s) => sum + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
  if (data.byteLength !== expectedBytes) {
    throw new InputError(
      `${join(dir, 'weights.bin')}: holds ${data.byteLength} bytes, model.json describes ${expectedBytes}`,
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
