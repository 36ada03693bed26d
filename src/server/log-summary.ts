import { stat } from 'node:fs/promises';
import { readLines } from '../io/line-reader.ts';
import type { LogLine } from './api-types.ts';

/** Lines kept per log at most: beyond, every other kept line is dropped and the stride doubles. */
export const MAX_KEPT_LINES = 10_000;
/** A log line longer than this is garbage, not a line the trainer wrote. */
const MAX_LINE_BYTES = 256 * 1024;
/** Logs summarised at once (least recently used dropped first). */
const CACHED_LOGS = 8;

/**
 * A log.jsonl read once, in a bounded size: `kept` holds every `stride`-th valid line (stride a power of
 * two), so memory stays under MAX_KEPT_LINES lines however long the log.
 */
export interface LogSummary {
  /** valid lines in the log */
  total: number;
  stride: number;
  kept: LogLine[];
  /** the last valid line (also while it is being appended, if it parses) */
  last: LogLine | null;
  /** klPerDim of the last line that has one */
  lastKlPerDim: number[] | null;
}

interface Cached {
  ino: number;
  size: number;
  mtimeMs: number;
  /** the summary of the complete lines up to `offset`, to continue from when the log grows */
  complete: LogSummary;
  offset: number;
  /** with the unterminated last line, if it parses */
  summary: LogSummary;
}

const cache = new Map<string, Promise<Cached | null>>();

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A line of log.jsonl, or null for a blank, torn or foreign line. */
export function parseLogLine(text: string): LogLine | null {
  if (text.trim() === '') return null;
  try {
    const value = JSON.parse(text);
    return isPlainObject(value) && typeof value.step === 'number' ? (value as LogLine) : null;
  } catch {
    return null;
  }
}

function add(summary: LogSummary, line: LogLine): void {
  if (summary.total % summary.stride === 0) {
    summary.kept.push(line);
    if (summary.kept.length > MAX_KEPT_LINES) {
      summary.kept = summary.kept.filter((_, j) => j % 2 === 0);
      summary.stride *= 2;
    }
  }
  summary.total++;
  summary.last = line;
  if (Array.isArray(line.klPerDim)) summary.lastKlPerDim = line.klPerDim as number[];
}

function copy(summary: LogSummary): LogSummary {
  return { ...summary, kept: [...summary.kept] };
}

export const EMPTY_LOG: LogSummary = { total: 0, stride: 1, kept: [], last: null, lastKlPerDim: null };

async function read(path: string, previous: Cached | null): Promise<Cached | null> {
  let info: import('node:fs').Stats;
  try {
    info = await stat(path);
  } catch {
    return null;
  }
  if (
    previous &&
    previous.ino === info.ino &&
    previous.size === info.size &&
    previous.mtimeMs === info.mtimeMs
  )
    return previous;
  // an appended log continues from the last complete line; a replaced or shortened one is read anew
  const grown = previous != null && previous.ino === info.ino && info.size >= previous.offset;
  const complete = copy(grown ? previous.complete : EMPTY_LOG);
  let offset = grown ? previous.offset : 0;
  let tail: LogLine | null = null;
  for await (const line of readLines(path, { start: offset, maxLineBytes: MAX_LINE_BYTES })) {
    const parsed = parseLogLine(line.text);
    if (!line.complete) {
      tail = parsed;
      break;
    }
    offset = line.end;
    if (parsed) add(complete, parsed);
  }
  const summary = copy(complete);
  if (tail) add(summary, tail);
  return { ino: info.ino, size: info.size, mtimeMs: info.mtimeMs, complete, offset, summary };
}

/**
 * The summary of the log at `path` (null if there is none), read in chunks off the event loop's back and
 * cached by inode, size and mtime: an unchanged log is not read again, an appended one only from where
 * it was, and concurrent requests share one read.
 */
export async function logSummary(path: string): Promise<LogSummary | null> {
  const before = cache.get(path);
  const previous = before ? await before.catch(() => null) : null;
  // another request may have started a newer read meanwhile
  const current = cache.get(path);
  if (current !== before && current) return (await current)?.summary ?? null;
  const next = read(path, previous);
  cache.delete(path);
  cache.set(path, next);
  while (cache.size > CACHED_LOGS) cache.delete(cache.keys().next().value!);
  try {
    return (await next)?.summary ?? null;
  } catch (err) {
    cache.delete(path);
    throw err;
  }
}

/** Every stride-th line of a summary and the last, at most about maxPoints: the stride a multiple of the kept one. */
export function thinLog(summary: LogSummary, maxPoints: number): { entries: LogLine[]; stride: number } {
  const wanted = Math.max(1, Math.ceil(summary.total / maxPoints));
  const stride = summary.stride * Math.ceil(wanted / summary.stride);
  const step = stride / summary.stride;
  const entries = summary.kept.filter((_, j) => j % step === 0);
  const lastIndex = summary.total - 1;
  if (summary.last && lastIndex % stride !== 0) entries.push(summary.last);
  return { entries, stride };
}
