import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { writeNpy } from '../src/io/npy.ts';

/** One weight as bench/fidelity_peer.py's load_weights reads it: Untangle's name, shape and .npy file. */
export interface WrittenWeight {
  name: string;
  shape: number[];
  file: string;
}

/** Each variable's current value as DIR/w<i>.npy (float32, Untangle's layout), in the variables' order. */
export function writeWeights(dir: string, variables: readonly tf.Variable[]): WrittenWeight[] {
  return variables.map((v, i) => {
    const file = `w${i}.npy`;
    writeNpy(join(dir, file), { dtype: 'float32', shape: v.shape, data: v.dataSync() as Float32Array });
    return { name: v.name, shape: v.shape, file };
  });
}
