import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { unzipSync, Zip, ZipDeflate } from 'fflate';
import { tempPathFor } from './atomic.ts';
import { InputError } from './input-error.ts';
import { decodeNpy, type NpyArray, type NpyDtype, npyHeader } from './npy.ts';

/**
 * A streaming .npz writer: members are deflated chunk by chunk straight into a temp file that is
 * renamed into place when complete, so multi-gigabyte arrays never sit in memory and a failed write
 * leaves nothing behind. Members must stay under 4 GiB (no zip64).
 */
export class NpzWriter {
  private readonly temp: string;
  private readonly fd: number;
  private readonly zip: Zip;
  private error: Error | null = null;

  constructor(private readonly path: string) {
    this.temp = tempPathFor(path);
    this.fd = openSync(this.temp, 'w');
    this.zip = new Zip((err, chunk) => {
      if (err) this.error = err;
      else writeSync(this.fd, chunk);
    });
  }

  /** Adds `name.npy`; `fill` pushes the data in order, in chunks of any size. */
  member(
    name: string,
    dtype: NpyDtype,
    shape: readonly number[],
    fill: (push: (chunk: Uint8Array) => void) => void,
  ): void {
    const file = new ZipDeflate(`${name}.npy`, { level: 6 });
    this.zip.add(file);
    file.push(npyHeader(dtype, shape));
    fill((chunk) => file.push(chunk));
    file.push(new Uint8Array(0), true);
    if (this.error) throw this.error;
  }

  close(): void {
    this.zip.end();
    closeSync(this.fd);
    if (this.error) {
      rmSync(this.temp, { force: true });
      throw this.error;
    }
    renameSync(this.temp, this.path);
  }

  abort(): void {
    closeSync(this.fd);
    rmSync(this.temp, { force: true });
  }
}

/** Writes small arrays as one .npz. */
export function writeNpz(path: string, arrays: Record<string, NpyArray>): void {
  const writer = new NpzWriter(path);
  try {
    for (const [name, a] of Object.entries(arrays)) {
      writer.member(name, a.dtype, a.shape, (push) =>
        push(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength)),
      );
    }
    writer.close();
  } catch (err) {
    writer.abort();
    throw err;
  }
}

/** Reads every member of an .npz that fits in memory. */
export function readNpz(path: string): Record<string, NpyArray> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(readFileSync(path));
  } catch (err) {
    throw new InputError(`${path}: not a readable .npz (zip) file (${(err as Error).message})`);
  }
  const out: Record<string, NpyArray> = {};
  for (const [name, bytes] of Object.entries(files)) {
    if (!name.endsWith('.npy')) throw new InputError(`${path}: member ${name} is not a .npy array`);
    out[name.slice(0, -4)] = decodeNpy(bytes, `${path}:${name}`);
  }
  return out;
}
