import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../src/io/input-error.ts';
import { readState } from '../src/run/checkpoint.ts';
import { loadRun } from '../src/run/load-run.ts';
import { ROOT, tempDir, untangle } from './helpers/cli.ts';

// a tiny MNIST β-VAE (mlp) checkpointed at step 10: every case damages a copy of it
const FIXTURE = join(ROOT, 'test', 'fixtures', 'af49a90', 'image-run');

function copyRun(label: string): string {
  const run = join(tempDir(`ckpt-${label}`), 'run');
  cpSync(FIXTURE, run, { recursive: true });
  return run;
}

async function rejectsInput(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: Error) => {
    assert.ok(err instanceof InputError, `expected an InputError, got ${err.name}: ${err.message}`);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('reading a checkpoint', () => {
  it('validates state.json: step, the four RNG words, the optimizers', async () => {
    const dir = tempDir('state');
    const path = join(dir, 'state.json');
    const good = JSON.parse(readFileSync(join(FIXTURE, 'checkpoint', 'state.json'), 'utf8'));
    assert.equal((await readState(join(FIXTURE, 'checkpoint', 'state.json'))).step, 10);
    const cases: Array<[object, RegExp]> = [
      [{ rng: ['a', 'b', 'c', 'd'] }, /state\.json: rng\.0: .*expected number/i],
      [{ rng: [1, 2, 3] }, /state\.json: rng/],
      [{ rng: [0, 0, 0, 0] }, /rng: all four words are 0/],
      [{ rng: [1, 2, 3, 2 ** 32] }, /rng\.3/],
      [{ step: -7 }, /state\.json: step: .*>=0/],
      [{ step: 1.5 }, /state\.json: step/],
      [{ optimizers: [{ name: 'vae', iterations: -1, arrays: [] }] }, /optimizers\.0\.iterations/],
    ];
    for (const [change, message] of cases) {
      writeFileSync(path, JSON.stringify({ ...good, ...change }));
      await rejectsInput(readState(path), message);
    }
    writeFileSync(path, '{"step": 3, "rng": [1,');
    await rejectsInput(readState(path), /state\.json is not valid JSON/);
  });

  it('refuses non-finite weights, a bad model.json, a missing weights.bin or optimizer file', async () => {
    const nan = copyRun('nan');
    const weights = join(nan, 'checkpoint', 'decoder', 'weights.bin');
    const bytes = readFileSync(weights);
    bytes.writeFloatLE(Number.NaN, 4 * 7);
    writeFileSync(weights, bytes);
    await rejectsInput(
      loadRun(nan, 'cpu'),
      /decoder\/weights\.bin: weight .* holds NaN at index 7: the net is not finite/,
    );

    const shape = copyRun('shape');
    const modelJson = join(shape, 'checkpoint', 'encoder', 'model.json');
    const model = JSON.parse(readFileSync(modelJson, 'utf8'));
    model.weightsManifest[0].weights[0].shape = 'x';
    writeFileSync(modelJson, JSON.stringify(model));
    await rejectsInput(
      loadRun(shape, 'cpu'),
      /encoder\/model\.json: weightsManifest\[0\]\.weights\.0\.shape: /,
    );

    const missing = copyRun('missing');
    rmSync(join(missing, 'checkpoint', 'encoder', 'weights.bin'));
    await rejectsInput(
      loadRun(missing, 'cpu'),
      /encoder\/weights\.bin: cannot read the net's weights \(ENOENT\)/,
    );
  });

  it('evaluate on NaN weights: one line, exit 2, no metrics.json', () => {
    const run = copyRun('evaluate');
    const weights = join(run, 'checkpoint', 'encoder', 'weights.bin');
    const bytes = readFileSync(weights);
    bytes.writeFloatLE(Number.POSITIVE_INFINITY, 0);
    writeFileSync(weights, bytes);
    const result = untangle(['evaluate', run, '--metrics', 'mig']);
    assert.equal(result.status, 2, result.stderr);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /encoder\/weights\.bin: weight .* holds Infinity at index 0/);
    assert.ok(!existsSync(join(run, 'metrics.json')));
  });
});
