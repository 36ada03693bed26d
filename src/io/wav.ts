import { readFileSync } from 'node:fs';
import wavefile from 'wavefile';
import { writeFileAtomic } from './atomic.ts';
import { InputError } from './input-error.ts';

/** Audio as the feature extractor sees it: samples in [-1, 1], one array per channel. */
export interface Wav {
  sampleRate: number;
  channels: Float32Array[];
}

/** WAVE format tags we decode: integer PCM, IEEE float, and the extensible header wrapping either. */
const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;
const SUPPORTED = 'integer PCM of 8, 16, 24 or 32 bits, or IEEE float of 32 or 64 bits';

interface FmtChunk {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
  subformat: number[];
}

/** Decodes a RIFF/WAVE file; anything malformed or unsupported is an InputError naming `source`. */
export function decodeWav(bytes: Uint8Array, source: string): Wav {
  const tag = (offset: number) => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') {
    const found = bytes.length < 12 ? `${bytes.length} bytes` : `"${tag(0)}...${tag(8)}"`;
    throw new InputError(`${source}: not a WAV file (expected a RIFF header with WAVE, found ${found})`);
  }
  const wav = new wavefile.WaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (err) {
    throw new InputError(`${source}: malformed WAV file (${(err as Error).message})`);
  }
  const fmt = wav.fmt as FmtChunk;
  const data = wav.data as { chunkSize: number; samples: Uint8Array };
  const format = fmt.audioFormat === FORMAT_EXTENSIBLE ? (fmt.subformat?.[0] ?? 0) : fmt.audioFormat;
  const bits = fmt.bitsPerSample;
  const integer = format === FORMAT_PCM && [8, 16, 24, 32].includes(bits);
  const float = format === FORMAT_FLOAT && [32, 64].includes(bits);
  if (!integer && !float) {
    throw new InputError(
      `${source}: unsupported WAV encoding (format tag ${format}, ${bits} bits per sample): expected ${SUPPORTED}`,
    );
  }
  if (fmt.numChannels < 1 || fmt.sampleRate < 1 || fmt.blockAlign !== (fmt.numChannels * bits) / 8) {
    throw new InputError(
      `${source}: malformed WAV header (${fmt.numChannels} channels, ${fmt.sampleRate} Hz, block align ${fmt.blockAlign})`,
    );
  }
  if (data.samples.length < data.chunkSize) {
    throw new InputError(
      `${source}: truncated WAV file (its data chunk declares ${data.chunkSize} bytes, only ${data.samples.length} are present)`,
    );
  }
  if (data.chunkSize % fmt.blockAlign !== 0) {
    throw new InputError(
      `${source}: malformed WAV data (${data.chunkSize} bytes is not a whole number of ${fmt.blockAlign}-byte frames)`,
    );
  }
  const raw = wav.getSamples(false, Float64Array) as unknown as Float64Array | Float64Array[];
  const perChannel = Array.isArray(raw) ? raw : [raw];
  // integer PCM to [-1, 1): 8-bit WAV is unsigned around 128, wider depths are signed
  const scale = float ? 1 : 2 ** (bits - 1);
  const offset = integer && bits === 8 ? 128 : 0;
  const channels = perChannel.map((samples) => {
    const out = new Float32Array(samples.length);
    for (let i = 0; i < samples.length; i++) out[i] = (samples[i] - offset) / scale;
    return out;
  });
  return { sampleRate: fmt.sampleRate, channels };
}

export function readWav(path: string): Wav {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new InputError(
      `${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  return decodeWav(bytes, path);
}

/** 16-bit PCM (samples clipped to [-1, 1 - 2^-15]) or 32-bit float WAV bytes. */
export function encodeWav(wav: Wav, { bitDepth = 16 }: { bitDepth?: 16 | 32 } = {}): Uint8Array {
  if (wav.channels.length === 0) throw new Error('encodeWav: no channels');
  const length = wav.channels[0].length;
  if (wav.channels.some((c) => c.length !== length)) throw new Error('encodeWav: channels differ in length');
  const out = new wavefile.WaveFile();
  if (bitDepth === 32) {
    out.fromScratch(wav.channels.length, wav.sampleRate, '32f', wav.channels);
  } else {
    const ints = wav.channels.map((c) => {
      const q = new Int16Array(c.length);
      // the inverse of decoding's v / 32768, clipped to the 16-bit range
      for (let i = 0; i < c.length; i++) q[i] = Math.max(-32768, Math.min(32767, Math.round(c[i] * 32768)));
      return q;
    });
    out.fromScratch(wav.channels.length, wav.sampleRate, '16', ints);
  }
  return out.toBuffer();
}

export async function writeWav(path: string, wav: Wav, options: { bitDepth?: 16 | 32 } = {}): Promise<void> {
  await writeFileAtomic(path, encodeWav(wav, options));
}

/** The mean of the channels. */
export function monoSamples(wav: Wav): Float32Array {
  if (wav.channels.length === 1) return wav.channels[0];
  const out = new Float32Array(wav.channels[0].length);
  for (const channel of wav.channels) for (let i = 0; i < out.length; i++) out[i] += channel[i];
  for (let i = 0; i < out.length; i++) out[i] /= wav.channels.length;
  return out;
}
