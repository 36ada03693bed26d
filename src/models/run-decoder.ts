import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InputError } from '../io/input-error.ts';
import { decoderMean } from './decoder-output.ts';

/** A run's decoder loaded over HTTP (a web page), without the rest of the model. */
export interface RunDecoder {
  /** the decoder's input width: continuous latents, then any one-hot discrete columns */
  inputWidth: number;
  /** [h, w, c] of a decoded image */
  imageShape: [number, number, number];
  /** Bernoulli means in [0, 1] of codes [n, inputWidth] (flat, row-major): [n, h, w, c] */
  decode(codes: Float32Array): Promise<Float32Array>;
  dispose(): void;
}

/**
 * Loads `RUN_URL/checkpoint/decoder/model.json` (the tfjs Layers files every run checkpoints) for
 * decoding latents in the browser; the images are the sigmoid of the decoder's logits, as in training.
 */
export async function loadRunDecoder(runUrl: string): Promise<RunDecoder> {
  const base = runUrl.endsWith('/') ? runUrl : `${runUrl}/`;
  let net: tfl.LayersModel;
  try {
    net = await tfl.loadLayersModel(`${base}checkpoint/decoder/model.json`);
  } catch (err) {
    throw new InputError(`${base}checkpoint/decoder/model.json: cannot load (${(err as Error).message})`);
  }
  const inputWidth = net.inputs[0].shape[1]!;
  const out = net.outputs[0].shape;
  const imageShape: [number, number, number] = [out[1]!, out[2]!, out[3]!];
  return {
    inputWidth,
    imageShape,
    async decode(codes) {
      if (codes.length % inputWidth !== 0)
        throw new InputError(`codes: ${codes.length} values are not whole rows of ${inputWidth}`);
      const images = tf.tidy(() =>
        decoderMean(
          'bernoulli',
          net.predict(tf.tensor2d(codes, [codes.length / inputWidth, inputWidth])) as tf.Tensor,
        ),
      );
      try {
        return (await images.data()) as Float32Array;
      } finally {
        images.dispose();
      }
    },
    dispose: () => net.dispose(),
  };
}
