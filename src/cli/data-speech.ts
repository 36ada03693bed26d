import { existsSync, readdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { buildSpeechCorpus, defaultTestSpeakers, SPEECH_CORPUS_DEFAULTS } from '../data/speech/build.ts';
import { InputError } from '../io/input-error.ts';
import { makeOutputDir } from '../io/out-dir.ts';

type Progress = { update: (done: number, total: number) => void; stop: () => void };

const integerFlag = (flag: string, least: number) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < least)
    throw new InvalidArgumentError(`${flag} expects an integer ≥ ${least}, got "${value}"`);
  return Number(value);
};
const positiveInt = (flag: string) => integerFlag(flag, 1);

/**
 * `untangle data speech` over the corpus builder (src/data/speech/build.ts); src/cli/data.ts registers it and
 * lends its progress display.
 */
export function speechCommand(
  data: Command,
  createProgress: (label: string, unit: string) => Progress,
): void {
  data
    .command('speech')
    .description(
      'synthesise a multi-speaker speech corpus with espeak-ng and sox (one voice variant per speaker) and write its log-mel features',
    )
    .requiredOption('--speakers <n>', 'speakers, train and test together', positiveInt('--speakers'))
    .requiredOption('--utterances <m>', 'utterances per speaker', positiveInt('--utterances'))
    .requiredOption('--out <dir>', 'the corpus folder to write')
    .option(
      '--seed <s>',
      'seed of voices, split, texts and jitters',
      integerFlag('--seed', 0),
      SPEECH_CORPUS_DEFAULTS.seed,
    )
    .option(
      '--test-speakers <t>',
      'speakers held out for testing (default: a fifth)',
      positiveInt('--test-speakers'),
    )
    .option(
      '--shared <k>',
      'sentences read by every speaker',
      integerFlag('--shared', 0),
      SPEECH_CORPUS_DEFAULTS.sharedSentences,
    )
    .option('--jobs <j>', 'synthesis pipelines at once', positiveInt('--jobs'), SPEECH_CORPUS_DEFAULTS.jobs)
    .option('--no-wav', 'do not keep the WAV files (features only)')
    .option('--overwrite', 'replace an existing corpus folder')
    .action(
      async (flags: {
        speakers: number;
        utterances: number;
        out: string;
        seed: number;
        testSpeakers?: number;
        shared: number;
        jobs: number;
        wav: boolean;
        overwrite?: boolean;
      }) => {
        const out = resolve(flags.out);
        if (!existsSync(dirname(out)))
          throw new InputError(`--out ${flags.out}: folder ${dirname(out)} does not exist`);
        await makeOutputDir(dirname(out), `--out ${flags.out}: folder`);
        if (existsSync(out) && readdirSync(out).length > 0 && !flags.overwrite) {
          throw new InputError(
            `--out ${flags.out} already exists and is not empty: pass --overwrite to replace it`,
          );
        }
        const testSpeakers = flags.testSpeakers ?? defaultTestSpeakers(flags.speakers);
        if (flags.speakers < 2 || testSpeakers >= flags.speakers) {
          throw new InputError(
            `--speakers ${flags.speakers} with --test-speakers ${testSpeakers}: need at least one train and one test speaker`,
          );
        }
        const began = Date.now();
        const progress = new Map<string, Progress>();
        const abort = new AbortController();
        const stop = () => abort.abort(new Error('interrupted: no corpus was written'));
        process.once('SIGINT', stop).once('SIGTERM', stop);
        let manifest: Awaited<ReturnType<typeof buildSpeechCorpus>>;
        try {
          manifest = await buildSpeechCorpus(
            out,
            {
              speakers: flags.speakers,
              utterances: flags.utterances,
              testSpeakers,
              seed: flags.seed,
              sharedSentences: flags.shared,
              jobs: flags.jobs,
              voiceCheckThreshold: SPEECH_CORPUS_DEFAULTS.voiceCheckThreshold,
              keepWav: flags.wav,
            },
            {
              signal: abort.signal,
              onProgress: ({ stage, done, total }) => {
                let bar = progress.get(stage);
                if (!bar) {
                  for (const other of progress.values()) other.stop();
                  bar = createProgress(`speech ${stage}`, stage === 'voice check' ? 'voices' : 'utterances');
                  progress.set(stage, bar);
                }
                bar.update(done, total);
              },
            },
          );
        } finally {
          for (const bar of progress.values()) bar.stop();
          process.off('SIGINT', stop).off('SIGTERM', stop);
        }
        const train = manifest.utterances.filter((u) => u.split === 'train');
        const frames = manifest.utterances.reduce((s, u) => s + u.frames, 0);
        const closest = manifest.voiceCheck.closestSpeakers;
        process.stderr.write(
          `wrote ${flags.out}: ${manifest.speakers.length} speakers (${testSpeakers} test), ${manifest.utterances.length} utterances ` +
            `(${train.length} train), ${frames} frames (${(frames / 100 / 60).toFixed(1)} min) in ${Math.round((Date.now() - began) / 1000)} s; ` +
            `closest voices ${closest ? `${closest.a}/${closest.b} at ${closest.distance.toFixed(3)}` : '-'} ` +
            `(threshold ${manifest.voiceCheck.threshold})\n`,
        );
      },
    );
}
