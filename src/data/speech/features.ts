import FFT from 'fft.js';

/**
 * Log-mel filterbank features as the FHVAE paper uses them (Hsu, Zhang & Glass 2017): 80 bins, 25 ms
 * Hamming windows every 10 ms, on a pre-emphasised signal, mel filters on the HTK scale up to Nyquist.
 */
export interface LogMelOptions {
  sampleRate: number;
  bins: number;
  windowMs: number;
  hopMs: number;
  preemphasis: number;
  /** lower edge of the first filter in Hz; the last filter ends at Nyquist */
  lowHz: number;
  /** filterbank energies below this are raised to it before the log (digital silence) */
  energyFloor: number;
}

export const LOG_MEL_DEFAULTS: LogMelOptions = {
  sampleRate: 16000,
  bins: 80,
  windowMs: 25,
  hopMs: 10,
  preemphasis: 0.97,
  lowHz: 0,
  energyFloor: 1e-8,
};

/** HTK's mel scale. */
export const hzToMel = (hz: number): number => 2595 * Math.log10(1 + hz / 700);
export const melToHz = (mel: number): number => 700 * (10 ** (mel / 2595) - 1);

/** Frames of `windowLength` samples every `hop` that fit whole in `samples` (no padding, as Kaldi's snip-edges). */
export function frameCount(samples: number, windowLength: number, hop: number): number {
  return samples < windowLength ? 0 : 1 + Math.floor((samples - windowLength) / hop);
}

/** One triangular filter over FFT bins `start .. start + weights.length - 1`. */
export interface MelFilter {
  start: number;
  weights: Float64Array;
  /** centre frequency in Hz */
  centreHz: number;
}

/**
 * Triangular filters evenly spaced on the mel scale between lowHz and Nyquist: filter i rises from
 * edge i to edge i+1 and falls to edge i+2 (linearly in mel), evaluated at the FFT bin frequencies.
 */
export function melFilterbank(bins: number, fftSize: number, sampleRate: number, lowHz = 0): MelFilter[] {
  const nyquist = sampleRate / 2;
  const lowMel = hzToMel(lowHz);
  const step = (hzToMel(nyquist) - lowMel) / (bins + 1);
  const spectrumBins = fftSize / 2 + 1;
  const filters: MelFilter[] = [];
  for (let i = 0; i < bins; i++) {
    const left = lowMel + i * step;
    const centre = left + step;
    const right = centre + step;
    const weights: number[] = [];
    let start = -1;
    for (let k = 0; k < spectrumBins; k++) {
      const mel = hzToMel((k * sampleRate) / fftSize);
      const w = mel <= left || mel >= right ? 0 : mel <= centre ? (mel - left) / step : (right - mel) / step;
      if (w > 0) {
        if (start < 0) start = k;
        weights[k - start] = w;
      }
    }
    if (start < 0) {
      throw new Error(
        `mel filter ${i} (${melToHz(left).toFixed(0)}-${melToHz(right).toFixed(0)} Hz) covers no FFT bin: use a larger FFT or fewer bins`,
      );
    }
    filters.push({ start, weights: Float64Array.from(weights, (w) => w ?? 0), centreHz: melToHz(centre) });
  }
  return filters;
}

/** The frame geometry that options imply at their sample rate. */
export function frameGeometry(options: LogMelOptions): { window: number; hop: number; fftSize: number } {
  const window = Math.round((options.windowMs * options.sampleRate) / 1000);
  const hop = Math.round((options.hopMs * options.sampleRate) / 1000);
  let fftSize = 1;
  while (fftSize < window) fftSize *= 2;
  return { window, hop, fftSize };
}

/** A reusable extractor: the window, filterbank and FFT plan are built once. */
export function createLogMel(
  overrides: Partial<LogMelOptions> = {},
): (samples: Float32Array) => { frames: number; features: Float32Array } {
  const options = { ...LOG_MEL_DEFAULTS, ...overrides };
  const { window, hop, fftSize } = frameGeometry(options);
  const filters = melFilterbank(options.bins, fftSize, options.sampleRate, options.lowHz);
  const hamming = new Float64Array(window);
  for (let n = 0; n < window; n++) hamming[n] = 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / (window - 1));
  const fft = new FFT(fftSize);
  const frame = new Float64Array(fftSize);
  const spectrum: number[] = fft.createComplexArray();
  const power = new Float64Array(fftSize / 2 + 1);
  const bins = options.bins;
  return (samples) => {
    const frames = frameCount(samples.length, window, hop);
    const features = new Float32Array(frames * bins);
    for (let t = 0; t < frames; t++) {
      const begin = t * hop;
      for (let n = 0; n < window; n++) {
        // pre-emphasis of the whole signal, y[n] = x[n] - a x[n-1], read through the frame
        const i = begin + n;
        const emphasised = samples[i] - options.preemphasis * (i > 0 ? samples[i - 1] : 0);
        frame[n] = emphasised * hamming[n];
      }
      frame.fill(0, window);
      fft.realTransform(spectrum, frame);
      for (let k = 0; k <= fftSize / 2; k++) power[k] = spectrum[2 * k] ** 2 + spectrum[2 * k + 1] ** 2;
      for (let b = 0; b < bins; b++) {
        const { start, weights } = filters[b];
        let energy = 0;
        for (let j = 0; j < weights.length; j++) energy += weights[j] * power[start + j];
        features[t * bins + b] = Math.log(Math.max(energy, options.energyFloor));
      }
    }
    return { frames, features };
  };
}

/** Per-bin mean and standard deviation over every frame of these feature arrays ([frames, bins] each). */
export interface NormalisationStats {
  mean: Float32Array;
  std: Float32Array;
}

export function normalisationStats(arrays: readonly Float32Array[], bins: number): NormalisationStats {
  const sum = new Float64Array(bins);
  const squares = new Float64Array(bins);
  let frames = 0;
  for (const array of arrays) {
    for (let i = 0; i < array.length; i++) sum[i % bins] += array[i];
    frames += array.length / bins;
  }
  if (frames === 0) throw new Error('normalisation statistics need at least one frame');
  const mean = sum.map((s) => s / frames);
  for (const array of arrays) {
    for (let i = 0; i < array.length; i++) squares[i % bins] += (array[i] - mean[i % bins]) ** 2;
  }
  return {
    mean: Float32Array.from(mean),
    std: Float32Array.from(squares, (s) => Math.max(Math.sqrt(s / frames), 1e-6)),
  };
}

/** (x - mean) / std per bin, in a new array. */
export function normalise(features: Float32Array, stats: NormalisationStats): Float32Array {
  const bins = stats.mean.length;
  const out = new Float32Array(features.length);
  for (let i = 0; i < features.length; i++)
    out[i] = (features[i] - stats.mean[i % bins]) / stats.std[i % bins];
  return out;
}
