import { execFile } from 'node:child_process';
import { mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NO_JITTER, type UtteranceJitter, type Voice, variantFile, voiceArgument } from './voices.ts';

const run = promisify(execFile);

export const INSTALL_HINT = 'apt-get install -y espeak-ng sox';

/** The synthesiser and the audio tool, found on PATH, with espeak-ng's own data folder. */
export interface SpeechTools {
  espeakVersion: string;
  soxVersion: string;
  /** espeak-ng-data of the installed espeak-ng (languages, phonemes, dictionaries) */
  espeakData: string;
}

/** Finds espeak-ng and sox, or fails saying how to install them. */
export async function findSpeechTools(env: NodeJS.ProcessEnv = process.env): Promise<SpeechTools> {
  const version = async (tool: string) => {
    try {
      const { stdout } = await run(tool, ['--version'], { env });
      return stdout.trim();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'is not installed (not found on PATH)' : `does not run (${code})`;
      throw new Error(
        `${tool} ${why}: speech synthesis needs espeak-ng and sox; install them with \`${INSTALL_HINT}\``,
      );
    }
  };
  const espeakVersion = await version('espeak-ng');
  const soxVersion = await version('sox');
  const data = /Data at:\s*(\S.*)$/m.exec(espeakVersion);
  if (!data) throw new Error(`espeak-ng --version did not say where its data is: "${espeakVersion}"`);
  return { espeakVersion, soxVersion, espeakData: data[1].trim() };
}

/**
 * An espeak-ng data folder (for `--path`) that is the installed one plus our speakers' variants: every
 * entry of the installed espeak-ng-data is linked, except voices/!v, which holds only our variant files.
 * Returns the folder to pass as --path.
 */
export async function createVoiceData(
  tools: SpeechTools,
  voices: readonly Voice[],
  dir: string,
): Promise<string> {
  const data = join(dir, 'espeak-ng-data');
  await mkdir(join(data, 'voices', '!v'), { recursive: true });
  for (const entry of await readdir(tools.espeakData)) {
    if (entry !== 'voices') await symlink(join(tools.espeakData, entry), join(data, entry));
  }
  for (const entry of await readdir(join(tools.espeakData, 'voices')).catch(() => [] as string[])) {
    if (entry !== '!v') await symlink(join(tools.espeakData, 'voices', entry), join(data, 'voices', entry));
  }
  for (const voice of voices) await writeFile(join(data, 'voices', '!v', voice.name), variantFile(voice));
  return dir;
}

/** Where to synthesise: the voice data folder and a scratch folder for espeak-ng's raw output. */
export interface SynthesisSetup {
  voicePath: string;
  scratch: string;
  sampleRate: number;
}

/**
 * Speaks `text` in `voice` (or the accent's plain voice when `voice.name` is empty) into a mono
 * 16-bit WAV at the setup's sample rate: espeak-ng with the jitter's rate and pitch, then sox for the
 * band limit, gain and resampling (-R: sox's dither noise is seeded, so the file is reproducible).
 */
export async function synthesise(
  setup: SynthesisSetup,
  voice: Pick<Voice, 'name' | 'accent'>,
  text: string,
  out: string,
  jitter: UtteranceJitter = NO_JITTER,
): Promise<void> {
  const raw = join(setup.scratch, `${out.replace(/[^A-Za-z0-9]+/g, '_')}.raw.wav`);
  const voiceArg = voice.name === '' ? voice.accent : voiceArgument(voice as Voice);
  try {
    await run('espeak-ng', [
      `--path=${setup.voicePath}`,
      '-v',
      voiceArg,
      '-s',
      String(jitter.wordsPerMinute),
      '-p',
      String(jitter.pitch),
      '-w',
      raw,
      text,
    ]);
    const effects: string[] = [];
    if (jitter.highPassHz > 0 || jitter.lowPassHz > 0) {
      effects.push('sinc', `${jitter.highPassHz || ''}-${jitter.lowPassHz || ''}`.replace(/-$/, ''));
    }
    if (jitter.gainDb !== 0) effects.push('gain', String(jitter.gainDb));
    await run('sox', ['-R', raw, '-r', String(setup.sampleRate), '-b', '16', '-c', '1', out, ...effects]);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(
      `synthesis of "${text}" as ${voiceArg} into ${out} failed: ${(e.stderr || e.message).trim()}`,
    );
  } finally {
    await rm(raw, { force: true });
  }
}

/**
 * Runs `task` on every item with at most `concurrency` running at once (each task drives its own
 * child processes, so this keeps that many cores busy); reports progress after each item. Stops at
 * the first failure or abort, letting the running ones finish.
 */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<void>,
  onProgress?: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  let done = 0;
  let failure: unknown = null;
  const lane = async () => {
    while (failure === null && next < items.length) {
      if (signal?.aborted) {
        failure ??= signal.reason ?? new Error('aborted');
        return;
      }
      const index = next++;
      try {
        await task(items[index], index);
      } catch (err) {
        failure ??= err;
        return;
      }
      done++;
      onProgress?.(done, items.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
  if (failure !== null) throw failure;
}
