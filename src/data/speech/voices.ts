import type { Rng } from '../../engine/rng.ts';

/**
 * A speaker is an espeak-ng voice variant (a file in voices/!v, see espeak-ng's docs/voices.md) on top of
 * one of its English accents. The variant sets what makes voices differ: the vocal tract (formant
 * frequencies scaled together, as a longer or shorter tract would, plus a little per-formant spread),
 * formant strengths and bandwidths, the pitch base and range, flutter, roughness, voicing and consonant
 * strength, and speaking rate.
 */
// British English is `en`: espeak-ng 1.51 ignores a variant on `en-gb` (`en-gb+x` speaks plain en-gb),
// which the voice check caught
export const ACCENTS = [
  'en-us',
  'en',
  'en-gb-scotland',
  'en-gb-x-rp',
  'en-gb-x-gbclan',
  'en-gb-x-gbcwmd',
  'en-029',
  'en-us-nyc',
] as const;

export type Accent = (typeof ACCENTS)[number];

export interface Formant {
  /** percent of espeak-ng's default frequency, strength and width */
  frequency: number;
  strength: number;
  width: number;
}

export interface Voice {
  /** the speaker id, also the variant's file name */
  name: string;
  accent: Accent;
  gender: 'male' | 'female';
  /** formant frequencies of formants 1-5 are scaled by this (percent of the defaults are it times 100) */
  vocalTract: number;
  /** formants 0..8 */
  formants: Formant[];
  /** base pitch and top of the range, Hz */
  pitch: [number, number];
  flutter: number;
  /** 0..7 */
  roughness: number;
  voicing: number;
  consonants: [number, number];
  /** percent of the default speaking rate */
  speed: number;
  /** espeak-ng intonation style 1..3 */
  intonation: number;
}

const uniform = (rng: Rng, low: number, high: number) => low + (high - low) * rng.uniform();
const round = (x: number) => Math.round(x);

/** A random voice; every draw comes from `rng`, so a seed fixes the whole speaker population. */
export function sampleVoice(name: string, rng: Rng): Voice {
  const accent = ACCENTS[rng.int(ACCENTS.length)];
  const gender = rng.uniform() < 0.5 ? 'male' : 'female';
  // shorter vocal tracts (female voices, on average) have higher formants
  const vocalTract = gender === 'male' ? uniform(rng, 0.86, 1.04) : uniform(rng, 1.02, 1.2);
  const formants: Formant[] = [];
  for (let k = 0; k <= 8; k++) {
    const spread = k >= 1 && k <= 5 ? vocalTract * uniform(rng, 0.96, 1.04) : uniform(rng, 0.95, 1.05);
    formants.push({
      frequency: round(100 * spread),
      strength: round(uniform(rng, 80, 120)),
      width: round(uniform(rng, 75, 140)),
    });
  }
  const base = gender === 'male' ? uniform(rng, 70, 135) : uniform(rng, 150, 245);
  const top = base * uniform(rng, 1.15, 1.9);
  return {
    name,
    accent,
    gender,
    vocalTract: Math.round(vocalTract * 1000) / 1000,
    formants,
    pitch: [round(base), round(top)],
    flutter: round(uniform(rng, 0, 30)),
    roughness: rng.int(6),
    voicing: round(uniform(rng, 85, 115)),
    consonants: [round(uniform(rng, 70, 130)), round(uniform(rng, 70, 130))],
    speed: round(uniform(rng, 82, 122)),
    intonation: 1 + rng.int(3),
  };
}

/** The variant file espeak-ng reads for this voice. */
export function variantFile(voice: Voice): string {
  const lines = [
    'language variant',
    `name ${voice.name}`,
    `gender ${voice.gender}`,
    `pitch ${voice.pitch[0]} ${voice.pitch[1]}`,
    ...voice.formants.map((f, k) => `formant ${k} ${f.frequency} ${f.strength} ${f.width}`),
    `flutter ${voice.flutter}`,
    `roughness ${voice.roughness}`,
    `voicing ${voice.voicing}`,
    `consonants ${voice.consonants[0]} ${voice.consonants[1]}`,
    `speed ${voice.speed}`,
    `intonation ${voice.intonation}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The espeak-ng voice argument: the accent with the speaker's variant. */
export const voiceArgument = (voice: Voice): string => `${voice.accent}+${voice.name}`;

/**
 * How one utterance departs from its speaker's habit: espeak-ng's rate (words per minute) and pitch
 * adjustment, then, by sox, a band limit (high-pass and low-pass edges, as different microphones and
 * channels would) and a gain.
 */
export interface UtteranceJitter {
  wordsPerMinute: number;
  /** espeak-ng -p, 0..99, 50 is the voice's own pitch */
  pitch: number;
  highPassHz: number;
  lowPassHz: number;
  gainDb: number;
}

export function sampleJitter(rng: Rng): UtteranceJitter {
  return {
    wordsPerMinute: round(175 * uniform(rng, 0.9, 1.1)),
    pitch: round(50 + uniform(rng, -8, 8)),
    highPassHz: round(uniform(rng, 40, 200)),
    lowPassHz: round(uniform(rng, 5000, 7600)),
    gainDb: Math.round(uniform(rng, -9, -1) * 10) / 10,
  };
}

/** No jitter: the voice as its variant defines it (the voice check reads with this). */
export const NO_JITTER: UtteranceJitter = {
  wordsPerMinute: 175,
  pitch: 50,
  highPassHz: 0,
  lowPassHz: 0,
  gainDb: 0,
};
