import { open } from 'node:fs/promises';

export interface FileLine {
  /** the line's text, without its newline */
  text: string;
  /** the byte offset just past the line (past its newline when it has one) */
  end: number;
  /** false for a last line with no newline yet: torn by a kill, or being appended */
  complete: boolean;
}

/**
 * The lines of a text file from byte `start`, read in chunks, so memory holds one chunk and one line,
 * never the whole file. A line longer than `maxLineBytes` is skipped (garbage, not a log line).
 */
export async function* readLines(
  path: string,
  options: { start?: number; maxLineBytes?: number; chunkBytes?: number } = {},
): AsyncGenerator<FileLine> {
  const maxLineBytes = options.maxLineBytes ?? 1 << 20;
  const handle = await open(path, 'r');
  try {
    const chunk = Buffer.alloc(options.chunkBytes ?? 1 << 16);
    let position = options.start ?? 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let skipping = false;
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
      if (bytesRead === 0) break;
      let from = 0;
      for (let nl = chunk.indexOf(10, from); nl >= 0 && nl < bytesRead; nl = chunk.indexOf(10, from)) {
        const end = position + nl + 1;
        if (!skipping && pendingBytes + nl - from <= maxLineBytes) {
          const text = Buffer.concat([...pending, chunk.subarray(from, nl)]).toString('utf8');
          yield { text, end, complete: true };
        }
        pending = [];
        pendingBytes = 0;
        skipping = false;
        from = nl + 1;
      }
      if (!skipping && from < bytesRead) {
        pendingBytes += bytesRead - from;
        if (pendingBytes > maxLineBytes) {
          skipping = true;
          pending = [];
        } else pending.push(Buffer.from(chunk.subarray(from, bytesRead)));
      }
      position += bytesRead;
    }
    if (!skipping && pendingBytes > 0) {
      yield { text: Buffer.concat(pending).toString('utf8'), end: position, complete: false };
    }
  } finally {
    await handle.close();
  }
}
