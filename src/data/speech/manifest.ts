import { z } from 'zod';
import { ACCENTS } from './voices.ts';

/** DIR/corpus.json: everything that made the corpus (seed, voices, texts, jitters) and how to read it. */
export const CORPUS_FORMAT = 'untangle-speech-corpus';
export const MANIFEST_FILE = 'corpus.json';
export const FEATURES_FILE = 'features.npz';

const formant = z.object({ frequency: z.number(), strength: z.number(), width: z.number() });

export const voiceSchema = z.object({
  name: z.string(),
  accent: z.enum(ACCENTS),
  gender: z.enum(['male', 'female']),
  vocalTract: z.number(),
  formants: z.array(formant),
  pitch: z.tuple([z.number(), z.number()]),
  flutter: z.number(),
  roughness: z.number(),
  voicing: z.number(),
  consonants: z.tuple([z.number(), z.number()]),
  speed: z.number(),
  intonation: z.number(),
});

const jitterSchema = z.object({
  wordsPerMinute: z.number(),
  pitch: z.number(),
  highPassHz: z.number(),
  lowPassHz: z.number(),
  gainDb: z.number(),
});

const split = z.enum(['train', 'test']);

export const manifestSchema = z.object({
  format: z.literal(CORPUS_FORMAT),
  version: z.literal(1),
  created: z.string(),
  seed: z.number().int(),
  options: z.object({
    speakers: z.number().int(),
    utterances: z.number().int(),
    testSpeakers: z.number().int(),
    sharedSentences: z.number().int(),
  }),
  tools: z.object({ espeakVersion: z.string(), soxVersion: z.string() }),
  features: z.object({
    file: z.string(),
    sampleRate: z.number(),
    bins: z.number().int().positive(),
    windowMs: z.number(),
    hopMs: z.number(),
    preemphasis: z.number(),
    lowHz: z.number(),
    energyFloor: z.number(),
    window: z.number().int(),
    hop: z.number().int(),
    fftSize: z.number().int(),
    normalisation: z.string(),
  }),
  speakers: z.array(z.object({ id: z.string(), split, voice: voiceSchema })),
  utterances: z.array(
    z.object({
      id: z.string(),
      speaker: z.string(),
      split,
      text: z.string(),
      shared: z.boolean(),
      jitter: jitterSchema,
      wav: z.string().nullable(),
      samples: z.number().int(),
      frames: z.number().int(),
    }),
  ),
  voiceCheck: z.object({
    sentence: z.string(),
    threshold: z.number(),
    closestSpeakers: z.object({ a: z.string(), b: z.string(), distance: z.number() }).nullable(),
    closestToPlain: z.object({ speaker: z.string(), accent: z.string(), distance: z.number() }).nullable(),
    passed: z.boolean(),
  }),
  timings: z.record(z.string(), z.number()),
});

export type CorpusManifest = z.infer<typeof manifestSchema>;
export type ManifestUtterance = CorpusManifest['utterances'][number];
