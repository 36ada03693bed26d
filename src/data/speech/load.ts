import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../io/input-error.ts';
import { readNpz } from '../../io/npz.ts';
import type { SpeechCorpus, Utterance } from './corpus.ts';
import { type CorpusManifest, FEATURES_FILE, MANIFEST_FILE, manifestSchema } from './manifest.ts';

/** The corpus.json of a corpus folder, validated. */
export function readManifest(dir: string): CorpusManifest {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new InputError(
        `${dir}: not a speech corpus (no ${MANIFEST_FILE}; build one with \`untangle data speech\`)`,
      );
    }
    throw new InputError(`cannot read ${path}: ${code ?? (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(
      `${path}: not a speech corpus manifest (${issue.path.join('.') || 'root'}: ${issue.message})`,
    );
  }
  return parsed.data;
}

/**
 * Reads a corpus folder written by `untangle data speech`: the utterances of each split in corpus.json's
 * order, each a view into its split's [frames, bins] array of normalised log-mel features.
 */
export function loadSpeechCorpus(dir: string): SpeechCorpus {
  const manifest = readManifest(dir);
  const path = join(dir, manifest.features.file ?? FEATURES_FILE);
  const bins = manifest.features.bins;
  const arrays = readNpz(path, {
    names: ['train', 'train_frames', 'test', 'test_frames'],
    maxBytes: 2 ** 31,
  });
  const split = (name: 'train' | 'test'): Utterance[] => {
    const listed = manifest.utterances.filter((u) => u.split === name);
    const features = arrays[name];
    const frames = arrays[`${name}_frames`];
    if (features.dtype !== 'float32' || features.shape.length !== 2 || features.shape[1] !== bins) {
      throw new InputError(
        `${path}: ${name} should be float32 [frames, ${bins}], found ${features.dtype} [${features.shape.join(', ')}]`,
      );
    }
    if (frames.dtype !== 'int32' || frames.shape.length !== 1 || frames.shape[0] !== listed.length) {
      throw new InputError(
        `${path}: ${name}_frames should be int32 [${listed.length}] (one per ${name} utterance of ${MANIFEST_FILE}), found ${frames.dtype} [${frames.shape.join(', ')}]`,
      );
    }
    const data = features.data as Float32Array;
    const counts = frames.data as Int32Array;
    const utterances: Utterance[] = [];
    let offset = 0;
    for (let i = 0; i < listed.length; i++) {
      const n = counts[i];
      if (n !== listed[i].frames) {
        throw new InputError(
          `${path}: ${listed[i].id} has ${n} frames, ${MANIFEST_FILE} says ${listed[i].frames}`,
        );
      }
      utterances.push({
        id: listed[i].id,
        speaker: listed[i].speaker,
        frames: n,
        features: data.subarray(offset * bins, (offset + n) * bins),
      });
      offset += n;
    }
    if (offset !== features.shape[0]) {
      throw new InputError(
        `${path}: ${name} holds ${features.shape[0]} frames, its utterances add up to ${offset}`,
      );
    }
    return utterances;
  };
  return { bins, train: split('train'), test: split('test') };
}
