import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../engine/rng.ts';
import { replaceDirAtomic } from '../../io/atomic.ts';
import type { NpyArray } from '../../io/npy.ts';
import { writeNpz } from '../../io/npz.ts';
import { monoSamples, readWav } from '../../io/wav.ts';
import { createLogMel, frameGeometry, LOG_MEL_DEFAULTS, normalisationStats, normalise } from './features.ts';
import { grammarSentence, SHARED_SENTENCES, VOICE_CHECK_SENTENCE } from './grammar.ts';
import {
  CORPUS_FORMAT,
  type CorpusManifest,
  FEATURES_FILE,
  MANIFEST_FILE,
  type ManifestUtterance,
} from './manifest.ts';
import { createVoiceData, findSpeechTools, runPool, type SynthesisSetup, synthesise } from './synth.ts';
import { checkVoicesDiffer, voiceProfile } from './voice-check.ts';
import { NO_JITTER, sampleJitter, sampleVoice, type Voice, variantFile } from './voices.ts';

export interface SpeechCorpusOptions {
  /** train and test speakers together */
  speakers: number;
  utterances: number;
  testSpeakers: number;
  seed: number;
  /** how many of each speaker's utterances are the sentences every speaker reads */
  sharedSentences: number;
  /** synthesis pipelines running at once */
  jobs: number;
  /** the voice check's smallest allowed distance between two voices (nats, RMS over mel bins) */
  voiceCheckThreshold: number;
  /** keep the synthesised WAVs in DIR/wav (the features alone are enough to train) */
  keepWav: boolean;
}

export const SPEECH_CORPUS_DEFAULTS = {
  seed: 0,
  sharedSentences: 2,
  jobs: 2,
  voiceCheckThreshold: 0.05,
  keepWav: true,
} as const;

/** Test speakers when not given: a fifth of the speakers, at least one. */
export const defaultTestSpeakers = (speakers: number): number => Math.max(1, Math.round(speakers / 5));

export interface BuildProgress {
  stage: 'voice check' | 'synthesis';
  done: number;
  total: number;
}

interface PlannedUtterance {
  id: string;
  speaker: Voice;
  split: 'train' | 'test';
  text: string;
  shared: boolean;
  jitter: ManifestUtterance['jitter'];
}

/** The whole corpus drawn from the seed: voices, the split, texts and jitters. No audio yet. */
export function planCorpus(options: SpeechCorpusOptions): {
  speakers: { voice: Voice; split: 'train' | 'test' }[];
  utterances: PlannedUtterance[];
} {
  const { speakers: count, utterances: perSpeaker, testSpeakers } = options;
  if (!Number.isInteger(count) || count < 2) throw new Error(`speakers must be an integer ≥ 2, got ${count}`);
  if (!Number.isInteger(perSpeaker) || perSpeaker < 1)
    throw new Error(`utterances must be a positive integer, got ${perSpeaker}`);
  if (!Number.isInteger(testSpeakers) || testSpeakers < 1 || testSpeakers >= count) {
    throw new Error(`test speakers must be an integer in [1, ${count - 1}], got ${testSpeakers}`);
  }
  const rng = new Rng(options.seed);
  const voiceRng = rng.fork();
  const splitRng = rng.fork();
  const textRng = rng.fork();
  const jitterRng = rng.fork();
  const digits = Math.max(3, String(count - 1).length);
  const voices = Array.from({ length: count }, (_, i) =>
    sampleVoice(`spk${String(i).padStart(digits, '0')}`, voiceRng),
  );
  const testSet = new Set(splitRng.shuffle(voices.map((_, i) => i)).slice(0, testSpeakers));
  const speakers = voices.map((voice, i) => ({
    voice,
    split: testSet.has(i) ? ('test' as const) : ('train' as const),
  }));
  const shared = Math.min(options.sharedSentences, perSpeaker, SHARED_SENTENCES.length);
  const utterances: PlannedUtterance[] = [];
  for (const { voice, split } of speakers) {
    for (let u = 0; u < perSpeaker; u++) {
      utterances.push({
        id: `${voice.name}-u${String(u).padStart(3, '0')}`,
        speaker: voice,
        split,
        text: u < shared ? SHARED_SENTENCES[u] : grammarSentence(textRng),
        shared: u < shared,
        jitter: sampleJitter(jitterRng),
      });
    }
  }
  // train first, then test, each in speaker order: the order of corpus.json and the feature arrays
  utterances.sort((a, b) => (a.split === b.split ? 0 : a.split === 'train' ? -1 : 1));
  return { speakers, utterances };
}

/**
 * Builds a corpus into `dir` (replaced atomically: a failed or interrupted build leaves no corpus):
 * voice variants, the voice check, synthesis of every utterance in `jobs` parallel espeak-ng + sox
 * pipelines, log-mel features normalised with the training statistics, corpus.json and features.npz.
 */
export async function buildSpeechCorpus(
  dir: string,
  options: SpeechCorpusOptions,
  { onProgress, signal }: { onProgress?: (p: BuildProgress) => void; signal?: AbortSignal } = {},
): Promise<CorpusManifest> {
  const began = Date.now();
  const tools = await findSpeechTools();
  const plan = planCorpus(options);
  const logMelOptions = { ...LOG_MEL_DEFAULTS };
  const geometry = frameGeometry(logMelOptions);
  const bins = logMelOptions.bins;
  const scratch = await mkdtemp(join(tmpdir(), 'untangle-speech-'));
  const timings: Record<string, number> = {};
  let manifest: CorpusManifest | undefined;
  try {
    const voices = plan.speakers.map((s) => s.voice);
    const setup: SynthesisSetup = {
      voicePath: await createVoiceData(tools, voices, join(scratch, 'voice-data')),
      scratch,
      sampleRate: logMelOptions.sampleRate,
    };
    const logMel = createLogMel(logMelOptions);
    const featuresOf = (wavPath: string) => {
      const wav = readWav(wavPath);
      if (wav.sampleRate !== logMelOptions.sampleRate)
        throw new Error(`${wavPath}: sox wrote ${wav.sampleRate} Hz, expected ${logMelOptions.sampleRate}`);
      const samples = monoSamples(wav);
      return { samples: samples.length, ...logMel(samples) };
    };
    await replaceDirAtomic(dir, async (temp) => {
      await mkdir(join(temp, 'voices'));
      for (const voice of voices) await writeFile(join(temp, 'voices', voice.name), variantFile(voice));

      // 1. every voice reads the same sentence, as does each accent's plain voice: all must differ
      let stageBegan = Date.now();
      await mkdir(join(temp, 'voice-check'));
      const accents = [...new Set(voices.map((v) => v.accent))];
      const readers = [
        ...voices.map((v) => ({ name: v.name, accent: v.accent })),
        ...accents.map((accent) => ({ name: '', accent })),
      ];
      const profiles: Float64Array[] = new Array(readers.length);
      await runPool(
        readers,
        options.jobs,
        async (reader, i) => {
          const out = join(temp, 'voice-check', `${reader.name || `plain-${reader.accent}`}.wav`);
          await synthesise(setup, reader, VOICE_CHECK_SENTENCE, out, NO_JITTER);
          profiles[i] = voiceProfile(featuresOf(out).features, bins);
        },
        (done, total) => onProgress?.({ stage: 'voice check', done, total }),
        signal,
      );
      const plain = new Map<string, Float64Array>(
        accents.map((accent, k) => [accent, profiles[voices.length + k]]),
      );
      const check = checkVoicesDiffer(
        voices.map((v, i) => ({ name: v.name, accent: v.accent, profile: profiles[i] })),
        plain,
        options.voiceCheckThreshold,
      );
      if (!check.passed) {
        const shown = check.failures.slice(0, 5).join('; ');
        const more = check.failures.length > 5 ? ` (and ${check.failures.length - 5} more)` : '';
        throw new Error(`voice check failed: ${shown}${more}`);
      }
      timings.voiceCheckS = (Date.now() - stageBegan) / 1000;

      // 2. every utterance, its features computed as soon as its WAV is written
      stageBegan = Date.now();
      await mkdir(join(temp, 'wav'));
      const extracted: { samples: number; frames: number; features: Float32Array }[] = new Array(
        plan.utterances.length,
      );
      await runPool(
        plan.utterances,
        options.jobs,
        async (u, i) => {
          const out = join(temp, 'wav', `${u.id}.wav`);
          await synthesise(setup, u.speaker, u.text, out, u.jitter);
          extracted[i] = featuresOf(out);
          if (extracted[i].frames === 0)
            throw new Error(`${u.id}: "${u.text}" synthesised to no whole frame`);
          if (!options.keepWav) await rm(out);
        },
        (done, total) => onProgress?.({ stage: 'synthesis', done, total }),
        signal,
      );
      if (!options.keepWav) await rm(join(temp, 'wav'), { recursive: true });
      timings.synthesisS = (Date.now() - stageBegan) / 1000;

      // 3. normalisation with the training utterances' statistics only
      stageBegan = Date.now();
      const isTrain = plan.utterances.map((u) => u.split === 'train');
      const stats = normalisationStats(
        extracted.filter((_, i) => isTrain[i]).map((e) => e.features),
        bins,
      );
      const arrays: Record<string, NpyArray> = {};
      for (const split of ['train', 'test'] as const) {
        const members = extracted.filter((_, i) => isTrain[i] === (split === 'train'));
        const total = members.reduce((s, e) => s + e.frames, 0);
        const data = new Float32Array(total * bins);
        let offset = 0;
        for (const e of members) {
          data.set(normalise(e.features, stats), offset);
          offset += e.features.length;
        }
        arrays[split] = { dtype: 'float32', shape: [total, bins], data };
        arrays[`${split}_frames`] = {
          dtype: 'int32',
          shape: [members.length],
          data: Int32Array.from(members, (e) => e.frames),
        };
      }
      arrays.mean = { dtype: 'float32', shape: [bins], data: stats.mean };
      arrays.std = { dtype: 'float32', shape: [bins], data: stats.std };
      writeNpz(join(temp, FEATURES_FILE), arrays);
      timings.featuresS = (Date.now() - stageBegan) / 1000;
      timings.totalS = (Date.now() - began) / 1000;

      manifest = {
        format: CORPUS_FORMAT,
        version: 1,
        created: new Date().toISOString(),
        seed: options.seed,
        options: {
          speakers: options.speakers,
          utterances: options.utterances,
          testSpeakers: options.testSpeakers,
          sharedSentences: options.sharedSentences,
        },
        tools: { espeakVersion: tools.espeakVersion, soxVersion: tools.soxVersion },
        features: {
          file: FEATURES_FILE,
          ...logMelOptions,
          ...geometry,
          normalisation: 'per-bin mean and standard deviation of the training frames (mean, std in the .npz)',
        },
        speakers: plan.speakers.map(({ voice, split }) => ({ id: voice.name, split, voice })),
        utterances: plan.utterances.map((u, i) => ({
          id: u.id,
          speaker: u.speaker.name,
          split: u.split,
          text: u.text,
          shared: u.shared,
          jitter: u.jitter,
          wav: options.keepWav ? `wav/${u.id}.wav` : null,
          samples: extracted[i].samples,
          frames: extracted[i].frames,
        })),
        voiceCheck: {
          sentence: VOICE_CHECK_SENTENCE,
          threshold: check.threshold,
          closestSpeakers: check.closestSpeakers,
          closestToPlain: check.closestToPlain,
          passed: check.passed,
        },
        timings,
      };
      await writeFile(join(temp, MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`);
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  if (!manifest || !existsSync(join(dir, MANIFEST_FILE)))
    throw new Error(`${dir}: the corpus was not written`);
  return manifest;
}
