import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MODELS } from '../src/models/registry.ts';
import { resolveTrainConfig } from '../src/run/config.ts';
import { presetConfig } from '../src/train/presets.ts';
import { tempDir, untangle } from './helpers/cli.ts';

describe('presets', () => {
  it('dlib: the study training settings and the sweep value at --sweep-index, for every model', () => {
    for (const [model, entry] of Object.entries(MODELS)) {
      for (const [key, values] of Object.entries(entry.dlibSweep)) {
        values.forEach((value, index) => {
          const config = resolveTrainConfig(presetConfig('dlib', model, index));
          assert.equal(
            (config.modelOptions as Record<string, number>)[key],
            value,
            `${model} ${key}[${index}]`,
          );
          assert.equal(config.steps, 300_000);
          assert.equal(config.learningRate, 1e-4);
          assert.equal(config.innerKernel, 2);
        });
      }
    }
  });

  it('the CLI applies a preset under --config, flags and --set, and records the result', () => {
    const run = join(tempDir('preset'), 'run');
    const result = untangle([
      'train',
      '--preset',
      'dlib',
      '--model',
      'dip-vae-i',
      '--sweep-index',
      '3',
      '--steps',
      '1',
      '--set',
      'batchSize=4',
      '--out',
      run,
    ]);
    assert.equal(result.status, 0, result.stderr);
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    assert.equal(config.modelOptions.lambdaOffDiagonal, MODELS['dip-vae-i'].dlibSweep.lambdaOffDiagonal[3]);
    assert.equal(config.steps, 1, '--steps overrides the preset');
    assert.equal(config.batchSize, 4, '--set overrides the preset');
    assert.equal(config.latentDim, 10);

    const paper = resolveTrainConfig(presetConfig('paper', 'annealed-vae'));
    assert.equal(paper.learningRate, 5e-4);
    assert.deepEqual(paper.modelOptions, { gamma: 1000, capacityMax: 25, capacitySteps: 100_000 });
  });

  it('rejects unknown presets and out-of-range sweep indices, creating nothing', () => {
    const dir = tempDir('preset-bad');
    const cases: [string[], RegExp][] = [
      [['--preset', 'dlibb'], /--preset dlibb: unknown preset, expected one of dlib, paper/],
      [
        ['--preset', 'dlib', '--model', 'beta-vae', '--sweep-index', '6'],
        /sweep of beta has 6 values .* expected 0\.\.5/,
      ],
      [['--sweep-index', '1'], /--sweep-index needs --preset dlib/],
    ];
    for (const [args, pattern] of cases) {
      const result = untangle(['train', ...args, '--steps', '1', '--out', join(dir, 'run')]);
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, pattern);
      assert.ok(!existsSync(join(dir, 'run')));
    }
  });
});
