import { InputError } from './input-error.ts';
import { type NpyArray, readNpy } from './npy.ts';
import { readNpz } from './npz.ts';

/** `FILE.npz:NAME`: member NAME of an .npz */
export const NPZ_MEMBER = /^(.*\.npz):([^/\\]+)$/;

/**
 * One array from `FILE.npy`, `FILE.npz` (its only member) or `FILE.npz:NAME` (member NAME); `what` names
 * the flag in errors.
 */
export function readArrayFile(spec: string, what: string): NpyArray {
  const member = NPZ_MEMBER.exec(spec);
  if (member) return readNpz(member[1], { names: [member[2]] })[member[2]];
  if (spec.endsWith('.npz')) {
    const arrays = Object.entries(readNpz(spec));
    if (arrays.length !== 1) {
      throw new InputError(
        `${what} ${spec}: holds ${arrays.length} arrays (${arrays.map(([n]) => n).join(', ')}); name one as ${spec}:NAME`,
      );
    }
    return arrays[0][1];
  }
  if (!spec.endsWith('.npy')) throw new InputError(`${what} ${spec}: expected a .npy or .npz file`);
  return readNpy(spec);
}

/** The array as float64 values, with a clear error for non-finite ones. */
export function finiteValues(array: NpyArray, source: string): Float64Array {
  const out = Float64Array.from(array.data as ArrayLike<number | bigint>, Number);
  const bad = out.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0)
    throw new InputError(`${source}: value ${out[bad]} at flat index ${bad} (expected finite numbers)`);
  return out;
}

/** The array as int32 labels, with a clear error for fractional or out-of-range values. */
export function integerValues(array: NpyArray, source: string): Int32Array {
  const values = finiteValues(array, source);
  const bad = values.findIndex((v) => !Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1);
  if (bad >= 0) {
    throw new InputError(
      `${source}: value ${values[bad]} at flat index ${bad} (expected integer factor values)`,
    );
  }
  return Int32Array.from(values);
}
