import type { Utterance } from '../data/speech/corpus.ts';

/**
 * The FHVAE sees an utterance as fixed-length segments of frames (20 frames in the papers; training
 * takes one every 8 frames, encoding one every 20, as the authors' code does). A SegmentIndex says where
 * every segment of a list of utterances starts, without copying features until a batch is gathered.
 */
export interface SegmentIndex {
  utterances: readonly Utterance[];
  bins: number;
  /** frames per segment */
  frames: number;
  /** utterance (position in `utterances`) of each segment */
  utterance: Int32Array;
  /** first frame of each segment */
  start: Int32Array;
  /** segments of each utterance */
  counts: Int32Array;
  /** index of each utterance's first segment */
  offsets: Int32Array;
}

export interface SegmentingOptions {
  frames: number;
  /** frames between the starts of consecutive segments */
  shift: number;
  /**
   * training: utterances shorter than a segment get none (the authors drop them); encoding: they get one
   * segment, padded by repeating their last frame, and every utterance gets a last segment ending at its
   * last frame when the shifts do not reach it, so no frame is left out
   */
  mode: 'train' | 'encode';
}

/** Segment starts of one utterance of `length` frames. */
export function segmentStarts(length: number, { frames, shift, mode }: SegmentingOptions): number[] {
  if (length < frames) return mode === 'encode' && length > 0 ? [0] : [];
  const starts: number[] = [];
  for (let s = 0; s + frames <= length; s += shift) starts.push(s);
  const lastStart = length - frames;
  if (mode === 'encode' && starts[starts.length - 1] !== lastStart) starts.push(lastStart);
  return starts;
}

export function segmentIndex(
  utterances: readonly Utterance[],
  bins: number,
  options: SegmentingOptions,
): SegmentIndex {
  if (!Number.isInteger(options.shift) || options.shift < 1)
    throw new RangeError(`segment shift must be a positive integer, got ${options.shift}`);
  const perUtterance = utterances.map((u) => {
    if (u.features.length !== u.frames * bins)
      throw new RangeError(
        `utterance ${u.id}: ${u.features.length} feature values, expected frames ${u.frames} x ${bins} bins`,
      );
    return segmentStarts(u.frames, options);
  });
  const total = perUtterance.reduce((n, s) => n + s.length, 0);
  const utterance = new Int32Array(total);
  const start = new Int32Array(total);
  const counts = new Int32Array(utterances.length);
  const offsets = new Int32Array(utterances.length);
  let k = 0;
  perUtterance.forEach((starts, u) => {
    offsets[u] = k;
    counts[u] = starts.length;
    for (const s of starts) {
      utterance[k] = u;
      start[k] = s;
      k += 1;
    }
  });
  return { utterances, bins, frames: options.frames, utterance, start, counts, offsets };
}

/** The features of some segments, row-major [n, frames, bins]; frames past an utterance's end repeat its last. */
export function gatherSegments(index: SegmentIndex, segments: ArrayLike<number>): Float32Array {
  const { frames, bins } = index;
  const out = new Float32Array(segments.length * frames * bins);
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    const u = index.utterances[index.utterance[seg]];
    const first = index.start[seg];
    for (let t = 0; t < frames; t++) {
      const frame = Math.min(first + t, u.frames - 1);
      out.set(u.features.subarray(frame * bins, (frame + 1) * bins), (i * frames + t) * bins);
    }
  }
  return out;
}

/** Every segment id of the given utterances, in order. */
export function segmentsOf(index: SegmentIndex, utterances: ArrayLike<number>): Int32Array {
  let total = 0;
  for (let i = 0; i < utterances.length; i++) total += index.counts[utterances[i]];
  const out = new Int32Array(total);
  let k = 0;
  for (let i = 0; i < utterances.length; i++) {
    const u = utterances[i];
    for (let j = 0; j < index.counts[u]; j++) out[k++] = index.offsets[u] + j;
  }
  return out;
}
