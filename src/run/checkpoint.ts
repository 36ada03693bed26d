import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import type { RngState } from '../engine/rng.ts';
import { completedDir, replaceDirAtomic } from '../io/atomic.ts';
import { InputError } from '../io/input-error.ts';
import { loadLayersWeights, saveLayersModel } from '../io/layers-model-files.ts';
import { readJson } from '../io/read-json.ts';

/** Everything a run needs to continue exactly: weights, optimizer moments, RNG state and step. */
export interface CheckpointState {
  step: number;
  rng: RngState;
}

/** An optimizer's state as a checkpoint stores it: its step count and flat float32 arrays (Adam: m, v). */
export interface OptimizerSlots {
  readonly iterations: number;
  /** [m_0, v_0, m_1, v_1, ...] (a device optimizer reads them back asynchronously) */
  state(): Float32Array[] | Promise<Float32Array[]>;
  restore(iterations: number, arrays: Float32Array[]): void;
}

const uint32 = z.number().int().min(0).max(0xffffffff);
/** state.json: the step reached, the RNG's four uint32 words, each optimizer's step and array lengths. */
const stateFileSchema = z
  .object({
    step: z.number().int().min(0),
    rng: z.tuple([uint32, uint32, uint32, uint32]),
    optimizers: z.array(
      z.object({
        name: z.string(),
        iterations: z.number().int().min(0),
        arrays: z.array(z.number().int().min(0)),
      }),
    ),
  })
  // other keys are left for later formats to add
  .loose();
type StateFile = z.infer<typeof stateFileSchema>;

/** A checkpoint's state.json, validated: a wrong field is named with what was expected. */
export async function readState(path: string): Promise<StateFile> {
  const raw = await readJson(path);
  const parsed = stateFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(
      `${path}: ${issue.path.join('.') || '(root)'}: ${issue.message} (a damaged checkpoint)`,
    );
  }
  if (parsed.data.rng.every((w) => w === 0))
    throw new InputError(`${path}: rng: all four words are 0, not an RNG state`);
  return parsed.data;
}

export const CHECKPOINT_DIR = 'checkpoint';

/** What a checkpoint holds of a model: its nets by name, and its objectives' names (one optimizer each). */
export interface CheckpointedModel {
  nets: Record<string, tfl.LayersModel>;
  objectives: ReadonlyArray<{ name: string }>;
}

export async function writeCheckpoint(
  runDir: string,
  model: CheckpointedModel,
  optimizers: OptimizerSlots[],
  state: CheckpointState,
): Promise<void> {
  await replaceDirAtomic(join(runDir, CHECKPOINT_DIR), async (dir) => {
    for (const [name, net] of Object.entries(model.nets)) {
      await mkdir(join(dir, name));
      await saveLayersModel(net, join(dir, name));
    }
    const file: StateFile = { ...state, optimizers: [] };
    for (const [i, optimizer] of optimizers.entries()) {
      const arrays = await optimizer.state();
      const bytes = new Uint8Array(arrays.reduce((n, a) => n + a.byteLength, 0));
      let offset = 0;
      for (const a of arrays) {
        bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
        offset += a.byteLength;
      }
      await writeFile(join(dir, `optimizer-${i}.bin`), bytes);
      file.optimizers.push({
        name: model.objectives[i].name,
        iterations: optimizer.iterations,
        arrays: arrays.map((a) => a.length),
      });
    }
    await writeFile(join(dir, 'state.json'), JSON.stringify(file, null, 2));
  });
}

/** Loads weights (and optimizer state, when optimizers are given) and returns the saved step and RNG. */
export async function readCheckpoint(
  runDir: string,
  model: CheckpointedModel,
  optimizers: OptimizerSlots[] = [],
): Promise<CheckpointState> {
  const dir = completedDir(join(runDir, CHECKPOINT_DIR));
  if (dir == null) throw new InputError(`${runDir}: has no checkpoint/ folder to resume or load from`);
  const file = await readState(join(dir, 'state.json'));
  for (const [name, net] of Object.entries(model.nets)) await loadLayersWeights(net, join(dir, name));
  for (const [i, optimizer] of optimizers.entries()) {
    const saved = file.optimizers[i];
    if (saved == null)
      throw new InputError(`${dir}: holds no state for optimizer ${i} (${model.objectives[i].name})`);
    const path = join(dir, `optimizer-${i}.bin`);
    const bytes = await readFile(path).catch((err: NodeJS.ErrnoException) => {
      throw new InputError(`${path}: cannot read the optimizer's state (${err.code ?? err.message})`);
    });
    if (bytes.byteLength % 4 !== 0)
      throw new InputError(`${path}: ${bytes.byteLength} bytes is not float32 data`);
    const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const arrays: Float32Array[] = [];
    let offset = 0;
    for (const length of saved.arrays) {
      arrays.push(all.subarray(offset, offset + length));
      offset += length;
    }
    if (offset !== all.length)
      throw new InputError(`${join(dir, `optimizer-${i}.bin`)}: size does not match state.json`);
    try {
      optimizer.restore(saved.iterations, arrays);
    } catch (err) {
      throw new InputError(`${join(dir, `optimizer-${i}.bin`)}: ${(err as Error).message}`);
    }
  }
  return { step: file.step, rng: file.rng };
}
