import { InputError } from './input-error.ts';

/**
 * NumPy's .npy format (version 1.0 written; 1.0-3.0 read), C order, little-endian, for the dtypes
 * Untangle exchanges with Python: uint8, int32, int64, float32, float64.
 */
export type NpyDtype = 'uint8' | 'int32' | 'int64' | 'float32' | 'float64';
export type NpyData = Uint8Array | Int32Array | BigInt64Array | Float32Array | Float64Array;

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

const DESCR: Record<NpyDtype, string> = {
  uint8: '|u1',
  int32: '<i4',
  int64: '<i8',
  float32: '<f4',
  float64: '<f8',
};
const BYTES: Record<NpyDtype, number> = { uint8: 1, int32: 4, int64: 8, float32: 4, float64: 8 };
const DTYPE_OF_DESCR = new Map(Object.entries(DESCR).map(([k, v]) => [v, k as NpyDtype]));
// '<u1' and '=u1' describe the same bytes as '|u1'
DTYPE_OF_DESCR.set('<u1', 'uint8');

/** The .npy header (magic, version 1.0, padded dict) for an array of this dtype and shape. */
export function npyHeader(dtype: NpyDtype, shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // magic(6) + version(2) + length(2) + dict, padded with spaces and a final newline to a multiple of 64
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  dict = `${dict.padEnd(total - 10 - 1, ' ')}\n`;
  const header = new Uint8Array(total);
  header.set([0x93, ...Buffer.from('NUMPY'), 1, 0]);
  new DataView(header.buffer).setUint16(8, dict.length, true);
  header.set(Buffer.from(dict, 'latin1'), 10);
  return header;
}

export function encodeNpy(array: NpyArray): Uint8Array {
  const header = npyHeader(array.dtype, array.shape);
  const body = new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  return out;
}

/** Parses a .npy file's bytes; `source` names the file in errors. */
export function decodeNpy(bytes: Uint8Array, source: string): NpyArray {
  const fail = (what: string): never => {
    throw new InputError(`${source}: ${what}`);
  };
  if (
    bytes.length < 10 ||
    bytes[0] !== 0x93 ||
    Buffer.from(bytes.subarray(1, 6)).toString('latin1') !== 'NUMPY'
  ) {
    fail('not a .npy file (expected the magic string \\x93NUMPY)');
  }
  const major = bytes[6];
  if (major < 1 || major > 3) fail(`unsupported .npy version ${major}.${bytes[7]} (expected 1.0 to 3.0)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) fail('truncated header');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lengthBytes + headerLength;
  if (bytes.length < start) fail('truncated header');
  const dict = Buffer.from(bytes.subarray(8 + lengthBytes, start)).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(dict)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(dict)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(dict)?.[1];
  if (descr == null || fortran == null || shapeText == null)
    fail(`unreadable header ${JSON.stringify(dict.trim())}`);
  const dtype = DTYPE_OF_DESCR.get(descr!);
  if (dtype == null) {
    fail(
      `unsupported dtype '${descr}' (expected one of ${Object.values(DESCR).join(', ')}: little-endian uint8, int32, int64, float32, float64)`,
    );
  }
  if (fortran === 'True') fail('Fortran-ordered arrays are not supported (save with np.ascontiguousarray)');
  const shape = shapeText!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail(`bad shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const size = count * BYTES[dtype!];
  if (bytes.length - start !== size) {
    fail(
      `holds ${bytes.length - start} data bytes, the header's shape (${shape.join(', ')}) of ${dtype} needs ${size}`,
    );
  }
  // a copy, aligned for the typed array (a Buffer's slice would be a view into a shared pool)
  const body = new Uint8Array(bytes.subarray(start, start + size));
  const Ctor = {
    uint8: Uint8Array,
    int32: Int32Array,
    int64: BigInt64Array,
    float32: Float32Array,
    float64: Float64Array,
  }[dtype!];
  return { dtype: dtype!, shape, data: new Ctor(body.buffer, 0, count) };
}

/** Any integer or float .npy array as float64 numbers (int64 must fit in 2^53). */
export function toFloat64(array: NpyArray): Float64Array {
  return Float64Array.from(array.data as ArrayLike<number | bigint>, (v) => Number(v));
}
