import { readFileSync } from 'node:fs';
import { gunzipBounded } from './bounded-inflate.ts';
import { InputError } from './input-error.ts';

/**
 * The IDX format of the MNIST files (http://yann.lecun.com/exdb/mnist/): two zero bytes, a dtype byte,
 * the number of dimensions, each dimension as a big-endian uint32, then the values, big-endian, in C
 * order. Files ending in .gz (or starting with gzip's magic bytes) are gunzipped first.
 */
export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dtype: IdxDtype;
  shape: number[];
  data: IdxData;
}

const DTYPE_CODES: Record<IdxDtype, number> = {
  uint8: 0x08,
  int8: 0x09,
  int16: 0x0b,
  int32: 0x0c,
  float32: 0x0d,
  float64: 0x0e,
};
const DTYPE_OF_CODE = new Map(Object.entries(DTYPE_CODES).map(([k, v]) => [v, k as IdxDtype]));
const ITEM_BYTES: Record<IdxDtype, number> = {
  uint8: 1,
  int8: 1,
  int16: 2,
  int32: 4,
  float32: 4,
  float64: 8,
};
const TYPED_ARRAY = {
  uint8: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;
const EXPECTED_CODES =
  'dtype byte 0x08 (uint8), 0x09 (int8), 0x0B (int16), 0x0C (int32), 0x0D (float32) or 0x0E (float64)';

/** The largest array an IDX file may declare (MNIST-like sets are tens of megabytes). */
export const MAX_IDX_BYTES = 2 ** 30;

const hex = (b: number) => `0x${b.toString(16).padStart(2, '0').toUpperCase()}`;

/** What a caller needs of a file: its dtype and number of dimensions, named in the error. */
export interface IdxExpectation {
  dtype?: IdxDtype;
  ndim?: number;
  /** how the dimensions read, e.g. "[images, rows, columns]" */
  describe?: string;
  /** dimensions that must have a size (null: any), checked from the header before any data is read */
  shape?: (number | null)[];
}

/**
 * The header at the start of `bytes` (null if `complete` is false and it is not all there yet), checked
 * against `expect` before any data is read or allocated.
 */
function readHeader(
  bytes: Uint8Array,
  fail: (what: string) => never,
  expect: IdxExpectation,
  complete: boolean,
): { dtype: IdxDtype; shape: number[]; headerBytes: number; size: number } | null {
  if (bytes.length < 4) {
    if (!complete) return null;
    fail(`${bytes.length} bytes is too short for an IDX file (expected at least a 4-byte magic number)`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    fail(
      `not an IDX file: magic number starts ${hex(bytes[0])} ${hex(bytes[1])} (expected 0x00 0x00, then a ${EXPECTED_CODES}, then the number of dimensions)`,
    );
  }
  const dtype =
    DTYPE_OF_CODE.get(bytes[2]) ??
    fail(`unknown IDX dtype byte ${hex(bytes[2])} (expected ${EXPECTED_CODES})`);
  const ndim = bytes[3];
  if (ndim === 0) fail('IDX header declares 0 dimensions (expected at least 1)');
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    if (!complete) return null;
    fail(
      `truncated header: ${ndim} dimensions need ${headerBytes} header bytes, the file has ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const describe = expect.describe ? ` ${expect.describe}` : '';
  if (expect.dtype !== undefined && dtype !== expect.dtype) {
    fail(`holds ${dtype} values, expected ${expect.dtype}${describe}`);
  }
  if (expect.ndim !== undefined && ndim !== expect.ndim) {
    fail(`has ${ndim} dimensions [${shape.join(', ')}], expected ${expect.ndim}${describe}`);
  }
  expect.shape?.forEach((want, i) => {
    if (want != null && shape[i] !== want)
      fail(`has shape [${shape.join(', ')}], expected ${want} in dimension ${i}${describe}`);
  });
  const size = shape.reduce((a, b) => a * b, 1) * ITEM_BYTES[dtype];
  if (size > MAX_IDX_BYTES) {
    fail(
      `shape [${shape.join(', ')}] of ${dtype} declares ${size} bytes, more than the ${MAX_IDX_BYTES} (1 GiB) read at most`,
    );
  }
  return { dtype, shape, headerBytes, size };
}

/** Parses an IDX file's bytes (gzip-compressed or not); `source` names the file in errors. */
export function decodeIdx(bytes: Uint8Array, source: string, expect: IdxExpectation = {}): IdxArray {
  const fail = (what: string): never => {
    throw new InputError(`${source}: ${what}`);
  };
  const gzipped = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (source.endsWith('.gz') && !gzipped)
    fail('named .gz but not gzip-compressed (expected the bytes 0x1F 0x8B first)');
  if (gzipped) {
    // inflate no further than the header promises (a small .gz can inflate to gigabytes)
    const promised = (prefix: Uint8Array) => {
      const header = readHeader(prefix, fail, expect, false);
      return header && header.headerBytes + header.size;
    };
    const excess = (limit: number): never =>
      fail(`inflates to more than the ${limit} bytes its IDX header promises (unexpected trailing bytes)`);
    try {
      bytes = gunzipBounded(bytes, promised, excess);
    } catch (err) {
      if (err instanceof InputError) throw err;
      fail(`not a readable gzip file (${(err as Error).message})`);
    }
  }
  const { dtype, shape, headerBytes, size } = readHeader(bytes, fail, expect, true)!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = shape.reduce((a, b) => a * b, 1);
  const item = ITEM_BYTES[dtype];
  const body = bytes.length - headerBytes;
  if (body !== size) {
    fail(
      `shape [${shape.join(', ')}] of ${dtype} needs ${size} data bytes after the ${headerBytes}-byte header, the file has ${body} (${body < size ? 'truncated' : 'unexpected trailing bytes'})`,
    );
  }
  const data = new TYPED_ARRAY[dtype](count);
  if (item === 1) {
    data.set(
      dtype === 'int8'
        ? new Int8Array(bytes.buffer, bytes.byteOffset + headerBytes, count)
        : bytes.subarray(headerBytes),
    );
  } else {
    const read = {
      int16: (o: number) => view.getInt16(o, false),
      int32: (o: number) => view.getInt32(o, false),
      float32: (o: number) => view.getFloat32(o, false),
      float64: (o: number) => view.getFloat64(o, false),
    }[dtype as 'int16' | 'int32' | 'float32' | 'float64'];
    for (let i = 0; i < count; i++) data[i] = read(headerBytes + i * item);
  }
  return { dtype, shape, data };
}

/** Reads an IDX file (`.gz` or not), checking it against `expect`. */
export function readIdx(path: string, expect: IdxExpectation = {}): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new InputError(`${path}: cannot read (${(err as Error).message})`);
  }
  return decodeIdx(bytes, path, expect);
}

/** An IDX file's bytes (uncompressed) for an array. */
export function encodeIdx(array: IdxArray): Uint8Array {
  const { dtype, shape, data } = array;
  const count = shape.reduce((a, b) => a * b, 1);
  if (!(data instanceof TYPED_ARRAY[dtype])) {
    throw new Error(`idx: dtype ${dtype} needs a ${TYPED_ARRAY[dtype].name}, got a ${data.constructor.name}`);
  }
  if (data.length !== count || shape.length === 0 || shape.length > 255) {
    throw new Error(`idx: shape [${shape.join(', ')}] does not fit ${data.length} values`);
  }
  const header = 4 + 4 * shape.length;
  const out = new Uint8Array(header + count * ITEM_BYTES[dtype]);
  const view = new DataView(out.buffer);
  out.set([0, 0, DTYPE_CODES[dtype], shape.length]);
  shape.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d, false);
  });
  const item = ITEM_BYTES[dtype];
  for (let i = 0; i < count; i++) {
    const o = header + i * item;
    const v = data[i];
    if (dtype === 'uint8') view.setUint8(o, v);
    else if (dtype === 'int8') view.setInt8(o, v);
    else if (dtype === 'int16') view.setInt16(o, v, false);
    else if (dtype === 'int32') view.setInt32(o, v, false);
    else if (dtype === 'float32') view.setFloat32(o, v, false);
    else view.setFloat64(o, v, false);
  }
  return out;
}
