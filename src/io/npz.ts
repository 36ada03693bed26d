import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { type DeflateOptions, type UnzipFileInfo, unzipSync, Zip, ZipDeflate } from 'fflate';
import { tempPathFor } from './atomic.ts';
import { InputError } from './input-error.ts';
import {
  bytesOf,
  decodeNpy,
  type NpyArray,
  type NpyDtype,
  npyByteLength,
  npyHeader,
  writeAll,
} from './npy.ts';

/** fflate writes no zip64 records: every size and offset in the archive must fit in 32 bits. */
const ZIP32_LIMIT = 0xffff_ffff;

/** One .npy member being written: push its data in order, in chunks of any size, then end it. */
export interface NpzMember {
  push(chunk: Uint8Array): void;
  end(): void;
}

/**
 * A streaming .npz writer (what np.savez_compressed writes: a zip of DEFLATE-compressed .npy members).
 * Members are deflated chunk by chunk straight into a sibling temp file that is renamed into place when
 * complete, so multi-gigabyte arrays never sit in memory and a failed write leaves nothing behind.
 * Without zip64, a member must stay under 4 GiB uncompressed and the archive under 4 GiB.
 */
export class NpzWriter {
  private readonly temp: string;
  private fd: number | null;
  private readonly zip: Zip;
  private readonly names = new Set<string>();
  private open: string | null = null;
  private written = 0;
  private error: Error | null = null;

  constructor(
    private readonly path: string,
    private readonly options: { level?: DeflateOptions['level'] } = {},
  ) {
    this.temp = tempPathFor(path);
    this.fd = openSync(this.temp, 'w');
    this.zip = new Zip((err, chunk) => {
      if (err) this.error ??= err;
      else if (this.fd !== null) {
        this.written += chunk.length;
        if (this.written > ZIP32_LIMIT) {
          this.error ??= new Error(`${this.path}: the archive passed 4 GiB, which needs zip64 (not written)`);
        } else writeAll(this.fd, chunk);
      }
    });
  }

  /** Starts member `name`.npy holding an array of this dtype and shape. */
  begin(name: string, dtype: NpyDtype, shape: readonly number[]): NpzMember {
    if (this.open !== null) throw new Error(`npz: member ${this.open} is still being written`);
    if (this.names.has(name)) throw new Error(`npz: member ${name} written twice`);
    const header = npyHeader(dtype, shape);
    const expected = npyByteLength(dtype, shape);
    if (header.length + expected > ZIP32_LIMIT) {
      throw new Error(
        `npz: member ${name} would hold ${header.length + expected} bytes; members of 4 GiB or more need zip64, which this writer lacks`,
      );
    }
    this.names.add(name);
    this.open = name;
    const file = new ZipDeflate(`${name}.npy`, { level: this.options.level ?? 6 });
    this.zip.add(file);
    file.push(header);
    let pushed = 0;
    return {
      push: (chunk) => {
        pushed += chunk.length;
        if (pushed > expected) throw new Error(`npz: member ${name} got more than its ${expected} bytes`);
        file.push(chunk);
        this.check();
      },
      end: () => {
        if (pushed !== expected) {
          throw new Error(
            `npz: member ${name} got ${pushed} bytes, its shape (${shape.join(', ')}) of ${dtype} needs ${expected}`,
          );
        }
        file.push(new Uint8Array(0), true);
        this.open = null;
        this.check();
      },
    };
  }

  /** Adds a whole array as one member. */
  add(name: string, array: NpyArray): void {
    const member = this.begin(name, array.dtype, array.shape);
    member.push(bytesOf(array.data));
    member.end();
  }

  /** Finishes the archive and moves it into place. */
  close(): void {
    if (this.open !== null) throw new Error(`npz: member ${this.open} was not ended`);
    this.zip.end();
    this.check();
    fsyncSync(this.fd!);
    closeSync(this.fd!);
    this.fd = null;
    renameSync(this.temp, this.path);
  }

  /** Drops everything written so far; safe to call after close or twice. */
  abort(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.temp, { force: true });
  }

  private check(): void {
    if (this.error) throw this.error;
  }
}

/** Writes arrays as one .npz file atomically. */
export function writeNpz(path: string, arrays: Record<string, NpyArray>): void {
  const writer = new NpzWriter(path);
  try {
    for (const [name, array] of Object.entries(arrays)) writer.add(name, array);
    writer.close();
  } catch (err) {
    writer.abort();
    throw err;
  }
}

/**
 * Reads the members of an .npz that fits in memory (all of them, or those in `names`); members over
 * `maxBytes` uncompressed are refused rather than read.
 */
export function readNpz(
  path: string,
  { names, maxBytes = 1 << 30 }: { names?: string[]; maxBytes?: number } = {},
): Record<string, NpyArray> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new InputError(`${path}: cannot read (${(err as Error).message})`);
  }
  const wanted = (file: UnzipFileInfo) =>
    names === undefined || names.includes(file.name.replace(/\.npy$/, ''));
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (file) => {
        if (wanted(file) && file.originalSize > maxBytes) {
          throw new InputError(
            `${path}: member ${file.name} holds ${file.originalSize} bytes, more than the ${maxBytes} this reader loads (read it with numpy)`,
          );
        }
        return wanted(file);
      },
    });
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${path}: not a readable .npz (zip) file (${(err as Error).message})`);
  }
  const out: Record<string, NpyArray> = {};
  for (const [name, member] of Object.entries(files)) {
    if (!name.endsWith('.npy')) throw new InputError(`${path}: member ${name} is not a .npy array`);
    out[name.slice(0, -4)] = decodeNpy(member, `${path}:${name}`);
  }
  const missing = (names ?? []).filter((name) => !(name in out));
  if (missing.length > 0)
    throw new InputError(`${path}: no member ${missing.join(', ')} (expected ${missing[0]}.npy)`);
  return out;
}
