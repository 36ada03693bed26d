import { Gunzip } from 'fflate';

/** Compressed bytes fed per step: one step inflates to at most ~1032x this (deflate's ratio bound). */
const STEP_BYTES = 8 * 1024;

/**
 * Gunzips `bytes` without ever holding more than the data promises: `limitOf` sees the output so far
 * and returns the total size its header promises (null until the header is complete; it may throw to
 * refuse the header). Output beyond the promise stops the inflate: `onExcess` names the file's fault.
 * So a small file that inflates to gigabytes (a decompression bomb) costs a few megabytes.
 */
export function gunzipBounded(
  bytes: Uint8Array,
  limitOf: (prefix: Uint8Array) => number | null,
  onExcess: (limit: number) => never,
): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let limit: number | null = null;
  let prefix: Uint8Array = new Uint8Array(0);
  const gunzip = new Gunzip((chunk) => {
    chunks.push(chunk);
    total += chunk.length;
    if (limit == null) {
      prefix = concat(chunks, total);
      limit = limitOf(prefix);
    }
    if (limit != null && total > limit) onExcess(limit);
  });
  for (let at = 0; at < bytes.length; at += STEP_BYTES) {
    const end = Math.min(bytes.length, at + STEP_BYTES);
    gunzip.push(bytes.subarray(at, end), end === bytes.length);
  }
  return concat(chunks, total);
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  chunks.length = 0;
  if (total > 0) chunks.push(out);
  return out;
}
