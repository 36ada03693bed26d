import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tempPathFor } from './atomic.ts';
import { InputError } from './input-error.ts';

/**
 * NumPy's .npy format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 * version 1.0 written, 1.0 to 3.0 read; C order, little-endian; the dtypes Untangle exchanges with
 * Python: uint8, int32, int64, float32, float64.
 */
export type NpyDtype = 'uint8' | 'int32' | 'int64' | 'float32' | 'float64';
export type NpyData = Uint8Array | Int32Array | BigInt64Array | Float32Array | Float64Array;

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

export const NPY_DESCR: Record<NpyDtype, string> = {
  uint8: '|u1',
  int32: '<i4',
  int64: '<i8',
  float32: '<f4',
  float64: '<f8',
};
export const NPY_ITEM_BYTES: Record<NpyDtype, number> = {
  uint8: 1,
  int32: 4,
  int64: 8,
  float32: 4,
  float64: 8,
};
const TYPED_ARRAY = {
  uint8: Uint8Array,
  int32: Int32Array,
  int64: BigInt64Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;
const DTYPE_OF_DESCR = new Map<string, NpyDtype>(
  Object.entries(NPY_DESCR).map(([k, v]) => [v, k as NpyDtype]),
);
// one byte has no byte order: numpy writes '|u1', other writers '<u1'
DTYPE_OF_DESCR.set('<u1', 'uint8');
const EXPECTED_DTYPES = `${Object.values(NPY_DESCR).join(', ')} (uint8, int32, int64, float32, float64)`;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function npyByteLength(dtype: NpyDtype, shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1) * NPY_ITEM_BYTES[dtype];
}

/** The .npy header (magic, version 1.0, padded dict) for an array of this dtype and shape. */
export function npyHeader(dtype: NpyDtype, shape: readonly number[]): Uint8Array {
  if (!(dtype in NPY_DESCR)) throw new Error(`npy: unsupported dtype ${dtype}, expected ${EXPECTED_DTYPES}`);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new Error(`npy: bad shape [${shape.join(', ')}], expected non-negative integers`);
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${NPY_DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // magic (6) + version (2) + header length (2) + dict, space-padded and ending in '\n', to a multiple of 64
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const header = new Uint8Array(total);
  header.set(MAGIC);
  header.set([1, 0], 6);
  new DataView(header.buffer).setUint16(8, total - 10, true);
  header.set(Buffer.from(`${dict.padEnd(total - 11, ' ')}\n`, 'latin1'), 10);
  return header;
}

/** The raw bytes of a typed array, without copying. */
export function bytesOf(data: NpyData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function checkArray(array: NpyArray): void {
  const Ctor = TYPED_ARRAY[array.dtype];
  if (Ctor === undefined)
    throw new Error(`npy: unsupported dtype ${array.dtype}, expected ${EXPECTED_DTYPES}`);
  if (!(array.data instanceof Ctor)) {
    throw new Error(`npy: dtype ${array.dtype} needs a ${Ctor.name}, got a ${array.data.constructor.name}`);
  }
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (array.data.length !== count) {
    throw new Error(
      `npy: shape [${array.shape.join(', ')}] holds ${count} values, the data has ${array.data.length}`,
    );
  }
}

export function encodeNpy(array: NpyArray): Uint8Array {
  checkArray(array);
  const header = npyHeader(array.dtype, array.shape);
  const out = new Uint8Array(header.length + array.data.byteLength);
  out.set(header);
  out.set(bytesOf(array.data), header.length);
  return out;
}

/** Parses a .npy file's bytes; `source` names the file in errors. */
export function decodeNpy(bytes: Uint8Array, source: string): NpyArray {
  const fail = (what: string): never => {
    throw new InputError(`${source}: ${what}`);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    fail('not a .npy file (expected it to start with the magic string \\x93NUMPY)');
  }
  const major = bytes[6];
  if (major < 1 || major > 3)
    fail(`unsupported .npy version ${major}.${bytes[7]} (expected 1.0, 2.0 or 3.0)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) fail('truncated header (the file ends inside it)');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lengthBytes + headerLength;
  if (bytes.length < start)
    fail(`truncated header (expected ${start} header bytes, the file has ${bytes.length})`);
  const dict = Buffer.from(bytes.subarray(8 + lengthBytes, start)).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(dict)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(dict)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(dict)?.[1];
  if (descr == null || fortran == null || shapeText == null) {
    return fail(
      `unreadable header ${JSON.stringify(dict.trim())} (expected 'descr', 'fortran_order' and 'shape')`,
    );
  }
  if (descr.startsWith('>') && DTYPE_OF_DESCR.has(`<${descr.slice(1)}`)) {
    fail(
      `big-endian dtype '${descr}' is not supported (expected little-endian '<${descr.slice(1)}'; in numpy: a.astype('<${descr.slice(1)}'))`,
    );
  }
  const dtype =
    DTYPE_OF_DESCR.get(descr) ?? fail(`unsupported dtype '${descr}' (expected one of ${EXPECTED_DTYPES})`);
  if (fortran === 'True') {
    fail(
      'Fortran-ordered arrays are not supported (expected C order; in numpy: np.save(f, np.ascontiguousarray(a)))',
    );
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0))
    fail(`bad shape (${shapeText}) (expected non-negative integers)`);
  const count = shape.reduce((a, b) => a * b, 1);
  const size = count * NPY_ITEM_BYTES[dtype];
  const body = bytes.length - start;
  if (body < size)
    fail(`truncated data: shape (${shape.join(', ')}) of ${dtype} needs ${size} bytes, the file has ${body}`);
  if (body > size)
    fail(`${body - size} unexpected bytes after the data of shape (${shape.join(', ')}) of ${dtype}`);
  // a copy, aligned for the typed array (the input may be a view into a shared pool at any offset)
  const data = new Uint8Array(bytes.subarray(start, start + size));
  return { dtype, shape, data: new TYPED_ARRAY[dtype](data.buffer, 0, count) };
}

export function readNpy(path: string): NpyArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new InputError(`${path}: cannot read (${(err as Error).message})`);
  }
  return decodeNpy(bytes, path);
}

/** Writes all of `bytes` (one write(2) moves at most ~2 GiB). */
export function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** Writes an .npy file atomically: a sibling temp file renamed into place once complete. */
export function writeNpy(path: string, array: NpyArray): void {
  checkArray(array);
  const temp = tempPathFor(path);
  const fd = openSync(temp, 'w');
  let open = true;
  try {
    writeAll(fd, npyHeader(array.dtype, array.shape));
    writeAll(fd, bytesOf(array.data));
    fsyncSync(fd);
    closeSync(fd);
    open = false;
    renameSync(temp, path);
  } catch (err) {
    if (open) closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
}
