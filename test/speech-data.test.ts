import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { planCorpus } from '../src/data/speech/build.ts';
import {
  createLogMel,
  frameCount,
  hzToMel,
  LOG_MEL_DEFAULTS,
  melFilterbank,
  melToHz,
  normalisationStats,
  normalise,
} from '../src/data/speech/features.ts';
import { SHARED_SENTENCES } from '../src/data/speech/grammar.ts';
import { loadSpeechCorpus, readManifest } from '../src/data/speech/load.ts';
import { createVoiceData, findSpeechTools, INSTALL_HINT, synthesise } from '../src/data/speech/synth.ts';
import { checkVoicesDiffer, voiceProfile } from '../src/data/speech/voice-check.ts';
import { sampleVoice, variantFile } from '../src/data/speech/voices.ts';
import { Rng } from '../src/engine/rng.ts';
import { InputError } from '../src/io/input-error.ts';
import { readNpz, writeNpz } from '../src/io/npz.ts';
import { decodeWav, encodeWav, monoSamples, readWav, writeWav } from '../src/io/wav.ts';
import { tempDir, untangle } from './helpers/cli.ts';

const hasSpeechTools = ['espeak-ng', 'sox'].every(
  (tool) => spawnSync(tool, ['--version'], { encoding: 'utf8' }).status === 0,
);
const NO_TOOLS = `espeak-ng or sox is not installed (${INSTALL_HINT})`;

/** A RIFF/WAVE file written by hand: one fmt chunk, one data chunk. */
function handMadeWav({
  format = 1,
  channels = 1,
  rate = 8000,
  bits = 16,
  data,
  declaredData,
}: {
  format?: number;
  channels?: number;
  rate?: number;
  bits?: number;
  data: Uint8Array;
  declaredData?: number;
}): Uint8Array {
  const bytes = new Uint8Array(44 + data.length);
  const view = new DataView(bytes.buffer);
  const text = (offset: number, s: string) => {
    for (let i = 0; i < 4; i++) bytes[offset + i] = s.charCodeAt(i);
  };
  text(0, 'RIFF');
  view.setUint32(4, 36 + (declaredData ?? data.length), true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, format, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, (rate * channels * bits) / 8, true);
  view.setUint16(32, (channels * bits) / 8, true);
  view.setUint16(34, bits, true);
  text(36, 'data');
  view.setUint32(40, declaredData ?? data.length, true);
  bytes.set(data, 44);
  return bytes;
}

const throwsInput = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(fn, (err: Error) => {
    assert.ok(err instanceof InputError, `expected an InputError, got ${err.name}: ${err.message}`);
    assert.match(err.message, pattern);
    return true;
  });

describe('WAV files', () => {
  it('round-trips 16-bit PCM within one quantisation step and 32-bit float exactly', async () => {
    const dir = tempDir('wav');
    const left = Float32Array.from({ length: 500 }, (_, i) => Math.sin(i / 7) * 0.9);
    const right = Float32Array.from({ length: 500 }, (_, i) => ((i % 50) - 25) / 25);
    await writeWav(join(dir, 'a.wav'), { sampleRate: 22050, channels: [left, right] });
    const back = readWav(join(dir, 'a.wav'));
    assert.equal(back.sampleRate, 22050);
    assert.equal(back.channels.length, 2);
    for (const [c, original] of [left, right].entries()) {
      const worst = Math.max(...original.map((v, i) => Math.abs(v - back.channels[c][i])));
      assert.ok(worst <= 0.5 / 32768 + 1e-9, `channel ${c}: worst error ${worst}`);
    }
    const mono = monoSamples(back);
    assert.ok(Math.abs(mono[10] - (back.channels[0][10] + back.channels[1][10]) / 2) < 1e-7);
    const float = decodeWav(
      encodeWav({ sampleRate: 16000, channels: [left] }, { bitDepth: 32 }),
      'float.wav',
    );
    assert.deepEqual(Array.from(float.channels[0]), Array.from(left));
  });

  it('scales hand-written 8-bit (unsigned) and 16-bit (signed) samples to [-1, 1)', () => {
    const eight = decodeWav(handMadeWav({ bits: 8, data: new Uint8Array([0, 128, 255, 64]) }), 'eight.wav');
    assert.deepEqual(Array.from(eight.channels[0]), [-1, 0, 127 / 128, -0.5]);
    const sixteen = new Uint8Array(new Int16Array([-32768, 0, 16384, 32767]).buffer);
    const decoded = decodeWav(handMadeWav({ bits: 16, data: sixteen }), 'sixteen.wav');
    assert.deepEqual(Array.from(decoded.channels[0]), [-1, 0, 0.5, 32767 / 32768]);
    assert.equal(decoded.sampleRate, 8000);
  });

  it('rejects a bad RIFF header, truncated data and unsupported encodings, naming the file', () => {
    const good = handMadeWav({ data: new Uint8Array(200) });
    const notRiff = Uint8Array.from(good);
    notRiff.set([0x4a, 0x55, 0x4e, 0x4b], 0); // "JUNK"
    throwsInput(() => decodeWav(notRiff, 'junk.wav'), /^junk\.wav: not a WAV file \(expected a RIFF header/);
    throwsInput(() => decodeWav(good.subarray(0, 10), 'tiny.wav'), /^tiny\.wav: not a WAV file.*10 bytes/);
    const notWave = Uint8Array.from(good);
    notWave.set([0x41, 0x56, 0x49, 0x20], 8); // "AVI "
    throwsInput(() => decodeWav(notWave, 'movie.wav'), /movie\.wav: not a WAV file/);
    throwsInput(
      () => decodeWav(good.subarray(0, 44 + 120), 'cut.wav'),
      /^cut\.wav: truncated WAV file \(its data chunk declares 200 bytes, only 120 are present\)/,
    );
    throwsInput(
      () =>
        decodeWav(handMadeWav({ data: new Uint8Array(0), declaredData: 0 }).subarray(0, 36), 'nodata.wav'),
      /nodata\.wav: malformed WAV file/,
    );
    throwsInput(
      () => decodeWav(handMadeWav({ format: 6, bits: 8, data: new Uint8Array(8) }), 'alaw.wav'),
      /^alaw\.wav: unsupported WAV encoding \(format tag 6, 8 bits per sample\)/,
    );
    throwsInput(
      () => decodeWav(handMadeWav({ format: 3, bits: 16, data: new Uint8Array(8) }), 'half.wav'),
      /half\.wav: unsupported WAV encoding \(format tag 3, 16 bits/,
    );
    throwsInput(
      () => decodeWav(handMadeWav({ bits: 16, data: new Uint8Array(7) }), 'odd.wav'),
      /odd\.wav: malformed WAV data \(7 bytes is not a whole number of 2-byte frames\)/,
    );
    const dir = tempDir('wav-bad');
    writeFileSync(join(dir, 'cut.wav'), good.subarray(0, 100));
    throwsInput(() => readWav(join(dir, 'cut.wav')), /cut\.wav: truncated WAV file/);
    throwsInput(() => readWav(join(dir, 'missing.wav')), /missing\.wav: cannot read \(ENOENT\)/);
  });
});

/** The log-mel pipeline written out directly: pre-emphasis, Hamming, a plain DFT, triangles, log. */
function naiveLogMel(x: Float32Array, frame: number): Float64Array {
  const { window, hop, fft } = { window: 400, hop: 160, fft: 512 };
  const y = Float64Array.from(x, (v, i) => v - 0.97 * (i > 0 ? x[i - 1] : 0));
  const power = new Float64Array(fft / 2 + 1);
  for (let k = 0; k <= fft / 2; k++) {
    let re = 0;
    let im = 0;
    for (let n = 0; n < window; n++) {
      const w = 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / (window - 1));
      re += y[frame * hop + n] * w * Math.cos((-2 * Math.PI * k * n) / fft);
      im += y[frame * hop + n] * w * Math.sin((-2 * Math.PI * k * n) / fft);
    }
    power[k] = re * re + im * im;
  }
  const top = hzToMel(8000) / 81;
  return Float64Array.from({ length: 80 }, (_, b) => {
    let energy = 0;
    for (let k = 0; k <= fft / 2; k++) {
      const m = hzToMel((k * 16000) / fft);
      const [l, c, r] = [b * top, (b + 1) * top, (b + 2) * top];
      const w = m > l && m < r ? (m <= c ? (m - l) / top : (r - m) / top) : 0;
      energy += w * power[k];
    }
    return Math.log(Math.max(energy, 1e-8));
  });
}

describe('log-mel features', () => {
  it('count frames as 1 + floor((n - window) / hop), none when shorter than a window', () => {
    assert.equal(frameCount(399, 400, 160), 0);
    assert.equal(frameCount(400, 400, 160), 1);
    assert.equal(frameCount(559, 400, 160), 1);
    assert.equal(frameCount(560, 400, 160), 2);
    assert.equal(frameCount(16000, 400, 160), 98);
    const logMel = createLogMel();
    assert.equal(logMel(new Float32Array(16000)).frames, 98);
    assert.equal(logMel(new Float32Array(16000)).features.length, 98 * 80);
    assert.equal(logMel(new Float32Array(300)).frames, 0);
  });

  it('place filters on the HTK mel scale, evenly up to Nyquist, each covering some FFT bin', () => {
    assert.ok(Math.abs(hzToMel(1000) - 1000) < 0.1, `mel(1000 Hz) = ${hzToMel(1000)}`);
    assert.ok(Math.abs(melToHz(hzToMel(4321)) - 4321) < 1e-9);
    const filters = melFilterbank(80, 512, 16000);
    assert.equal(filters.length, 80);
    const step = hzToMel(8000) / 81;
    for (const [i, f] of filters.entries()) {
      assert.ok(Math.abs(f.centreHz - melToHz((i + 1) * step)) < 1e-6);
      assert.ok(f.weights.length > 0 && Math.max(...f.weights) <= 1);
    }
    const last = filters[79];
    assert.ok((last.start + last.weights.length - 1) * 31.25 < 8000, 'the last filter ends below Nyquist');
  });

  it('match the pipeline computed directly (plain DFT) on a random signal', () => {
    const rng = new Rng(4);
    const x = Float32Array.from({ length: 1200 }, () => rng.normal() * 0.1);
    const { features } = createLogMel()(x);
    for (const frame of [0, 3]) {
      const expected = naiveLogMel(x, frame);
      for (let b = 0; b < 80; b++) {
        const got = features[frame * 80 + b];
        assert.ok(Math.abs(got - expected[b]) < 1e-4, `frame ${frame} bin ${b}: ${got} vs ${expected[b]}`);
      }
    }
  });

  it('peak, for a pure tone, in the filter whose centre is nearest on the mel scale', () => {
    const logMel = createLogMel();
    const filters = melFilterbank(80, 512, 16000);
    for (const hz of [250, 1000, 2500, 6000]) {
      const tone = Float32Array.from(
        { length: 4000 },
        (_, n) => 0.5 * Math.sin((2 * Math.PI * hz * n) / 16000),
      );
      const { frames, features } = logMel(tone);
      const nearest = filters.reduce(
        (best, f, i) =>
          Math.abs(hzToMel(f.centreHz) - hzToMel(hz)) <
          Math.abs(hzToMel(filters[best].centreHz) - hzToMel(hz))
            ? i
            : best,
        0,
      );
      for (const t of [1, frames - 2]) {
        const row = Array.from(features.subarray(t * 80, (t + 1) * 80));
        const peak = row.indexOf(Math.max(...row));
        assert.equal(
          peak,
          nearest,
          `${hz} Hz, frame ${t}: peak in bin ${peak}, nearest centre is bin ${nearest}`,
        );
      }
    }
  });

  it('are floored at log(energy floor) on digital silence', () => {
    const { features } = createLogMel()(new Float32Array(800));
    assert.ok(features.every((v) => Math.abs(v - Math.log(LOG_MEL_DEFAULTS.energyFloor)) < 1e-5));
  });

  it('normalise with the statistics of the arrays given (the training ones) only', () => {
    const train = [Float32Array.from([1, 10, 3, 20]), Float32Array.from([5, 30])]; // 3 frames, 2 bins
    const stats = normalisationStats(train, 2);
    assert.deepEqual(Array.from(stats.mean), [3, 20]);
    assert.ok(
      Math.abs(stats.std[0] - Math.sqrt(8 / 3)) < 1e-6 && Math.abs(stats.std[1] - Math.sqrt(200 / 3)) < 1e-5,
    );
    const test = normalise(Float32Array.from([3, 40]), stats);
    assert.ok(Math.abs(test[0]) < 1e-7 && Math.abs(test[1] - 20 / Math.sqrt(200 / 3)) < 1e-5);
  });
});

describe('corpus plan', () => {
  const options = {
    speakers: 10,
    utterances: 4,
    testSpeakers: 3,
    seed: 7,
    sharedSentences: 2,
    jobs: 2,
    voiceCheckThreshold: 0.05,
    keepWav: false,
  };

  it('is a function of the seed: disjoint splits, shared sentences first, jittered utterances', () => {
    const plan = planCorpus(options);
    assert.deepEqual(planCorpus(options), plan);
    assert.notDeepEqual(planCorpus({ ...options, seed: 8 }).speakers, plan.speakers);
    const test = plan.speakers.filter((s) => s.split === 'test').map((s) => s.voice.name);
    assert.equal(test.length, 3);
    const trainUtterances = plan.utterances.filter((u) => u.split === 'train');
    assert.ok(trainUtterances.every((u) => !test.includes(u.speaker.name)));
    assert.equal(plan.utterances.length, 40);
    assert.ok(plan.utterances.slice(0, 28).every((u) => u.split === 'train'));
    for (const u of plan.utterances) {
      const index = Number(u.id.slice(-3));
      assert.equal(u.shared, index < 2);
      if (index < 2) assert.equal(u.text, SHARED_SENTENCES[index]);
    }
    const jitters = new Set(plan.utterances.map((u) => JSON.stringify(u.jitter)));
    assert.equal(jitters.size, 40, 'every utterance has its own jitter');
  });

  it('writes every voice parameter into its variant file', () => {
    const voice = sampleVoice('spk001', new Rng(3));
    const text = variantFile(voice);
    assert.match(text, /^language variant\nname spk001\n/);
    assert.ok(text.includes(`pitch ${voice.pitch[0]} ${voice.pitch[1]}\n`));
    assert.ok(text.includes(`formant 2 ${voice.formants[2].frequency} ${voice.formants[2].strength}`));
    assert.equal(text.match(/^formant /gm)?.length, 9);
    assert.ok(voice.pitch[1] > voice.pitch[0]);
  });

  it('refuses a split with no train or no test speaker', () => {
    assert.throws(
      () => planCorpus({ ...options, testSpeakers: 10 }),
      /test speakers must be an integer in \[1, 9\]/,
    );
    assert.throws(() => planCorpus({ ...options, testSpeakers: 0 }), /test speakers/);
  });
});

describe('speech synthesis tools', () => {
  it('fail with the install command when espeak-ng or sox is missing', async () => {
    const empty = tempDir('no-tools');
    await assert.rejects(findSpeechTools({ PATH: empty }), (err: Error) => {
      assert.match(err.message, /^espeak-ng is not installed .*apt-get install -y espeak-ng sox/);
      return true;
    });
  });

  it('catch a variant that silently falls back to the plain voice', {
    skip: !hasSpeechTools && NO_TOOLS,
  }, async () => {
    const tools = await findSpeechTools();
    const dir = tempDir('voice-fallback');
    const voice = { ...sampleVoice('spk000', new Rng(1)), accent: 'en-us' as const };
    const setup = {
      voicePath: await createVoiceData(tools, [voice], join(dir, 'data')),
      scratch: dir,
      sampleRate: 16000,
    };
    const logMel = createLogMel();
    const profile = async (reader: { name: string; accent: 'en-us' }, file: string) => {
      await synthesise(setup, reader, 'The rain came down on the quiet town.', join(dir, file));
      return voiceProfile(logMel(monoSamples(readWav(join(dir, file)))).features, 80);
    };
    const real = await profile({ name: 'spk000', accent: 'en-us' }, 'real.wav');
    const typo = await profile({ name: 'spk00O', accent: 'en-us' }, 'typo.wav'); // no such variant
    const plain = new Map([['en-us', await profile({ name: '', accent: 'en-us' }, 'plain.wav')]]);
    const good = checkVoicesDiffer([{ name: 'spk000', accent: 'en-us', profile: real }], plain, 0.05);
    assert.ok(good.passed, good.failures.join('; '));
    const bad = checkVoicesDiffer(
      [
        { name: 'spk000', accent: 'en-us', profile: real },
        { name: 'spk00O', accent: 'en-us', profile: typo },
      ],
      plain,
      0.05,
    );
    assert.equal(bad.passed, false);
    assert.match(bad.failures.join('\n'), /spk00O sounds like the plain en-us voice \(distance 0\.0000\)/);
  });
});

describe('a small real corpus', { skip: !hasSpeechTools && NO_TOOLS }, () => {
  const root = tempDir('speech-corpus');
  const dir = join(root, 'corpus');

  it('builds through the CLI: 4 speakers x 3 utterances, voices that differ', () => {
    const run = untangle([
      'data',
      'speech',
      '--speakers',
      '4',
      '--utterances',
      '3',
      '--test-speakers',
      '1',
      '--seed',
      '5',
      '--out',
      dir,
    ]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /wrote .*: 4 speakers \(1 test\), 12 utterances \(9 train\)/);
    const manifest = readManifest(dir);
    assert.equal(manifest.seed, 5);
    assert.ok(manifest.voiceCheck.passed);
    assert.ok(manifest.voiceCheck.closestSpeakers!.distance > manifest.voiceCheck.threshold);
    assert.ok(manifest.voiceCheck.closestToPlain!.distance > manifest.voiceCheck.threshold);
    for (const s of manifest.speakers) assert.ok(existsSync(join(dir, 'voices', s.id)));
  });

  it('loads: features normalised with the training statistics, frames matching the WAVs', () => {
    const corpus = loadSpeechCorpus(dir);
    const manifest = readManifest(dir);
    assert.equal(corpus.bins, 80);
    assert.equal(corpus.train.length, 9);
    assert.equal(corpus.test.length, 3);
    const testSpeakers = new Set(corpus.test.map((u) => u.speaker));
    assert.equal(testSpeakers.size, 1);
    assert.ok(corpus.train.every((u) => !testSpeakers.has(u.speaker)));
    // the training frames are standardised per bin; the test frames are not exactly
    const stats = normalisationStats(
      corpus.train.map((u) => u.features),
      80,
    );
    for (let b = 0; b < 80; b++) {
      assert.ok(Math.abs(stats.mean[b]) < 1e-4 && Math.abs(stats.std[b] - 1) < 1e-3, `bin ${b}`);
    }
    // every test utterance is (its raw log-mel − train mean) / train std
    const { mean, std } = readNpz(join(dir, 'features.npz'), { names: ['mean', 'std'] });
    const logMel = createLogMel();
    for (const u of [corpus.train[0], corpus.test[2]]) {
      const entry = manifest.utterances.find((m) => m.id === u.id)!;
      const samples = monoSamples(readWav(join(dir, entry.wav!)));
      const raw = logMel(samples);
      assert.equal(u.frames, raw.frames);
      assert.equal(u.frames, frameCount(samples.length, 400, 160));
      for (let i = 0; i < raw.features.length; i += 97) {
        const expected =
          (raw.features[i] - (mean.data as Float32Array)[i % 80]) / (std.data as Float32Array)[i % 80];
        assert.ok(
          Math.abs(u.features[i] - expected) < 1e-4,
          `${u.id}[${i}]: ${u.features[i]} vs ${expected}`,
        );
      }
    }
  });

  it('refuses to overwrite it, and says what is wrong with a damaged one', () => {
    const again = untangle(['data', 'speech', '--speakers', '4', '--utterances', '1', '--out', dir]);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /already exists and is not empty: pass --overwrite/);

    const damaged = join(root, 'damaged');
    mkdirSync(damaged);
    assert.throws(() => loadSpeechCorpus(damaged), /not a speech corpus \(no corpus\.json/);
    writeFileSync(join(damaged, 'corpus.json'), readFileSync(join(dir, 'corpus.json')));
    const arrays = readNpz(join(dir, 'features.npz'));
    arrays.test_frames = { dtype: 'int32', shape: [2], data: new Int32Array(2) };
    writeNpz(join(damaged, 'features.npz'), arrays);
    throwsInput(() => loadSpeechCorpus(damaged), /test_frames should be int32 \[3\]/);
  });
});
