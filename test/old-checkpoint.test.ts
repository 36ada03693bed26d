import assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readLog } from '../src/run/log.ts';
import { ROOT, tempDir, untangle } from './helpers/cli.ts';

// Runs written by main at af49a90 (before the one trainer): a tiny MNIST β-VAE checkpointed at step 10
// of 20 and a tiny FHVAE checkpointed at step 4 of 8 (hierarchical rounds of 3 steps). Resumed by
// today's code, each must log exactly what af49a90's uninterrupted run logged (expected-log.jsonl).
const FIXTURES = join(ROOT, 'test', 'fixtures', 'af49a90');
const strip = (entries: ReturnType<typeof readLog>) =>
  entries.map(({ imgPerSec: _, segPerSec: __, ...rest }) => rest);

/**
 * Same steps and terms, every value within 1e-5 relative: the checkpoint restores exactly, but the
 * compute kernels changed since af49a90 (native AVX2 kernels), which moves float32 rounding.
 */
function assertSameLog(actual: ReturnType<typeof strip>, expected: ReturnType<typeof strip>): void {
  assert.deepEqual(
    actual.map((e) => Object.keys(e).sort()),
    expected.map((e) => Object.keys(e).sort()),
  );
  actual.forEach((entry, i) => {
    for (const [key, value] of Object.entries(entry)) {
      const want = [expected[i][key]].flat() as number[];
      [value].flat().forEach((v, j) => {
        const tol = 1e-5 * Math.max(1, Math.abs(want[j]));
        assert.ok(Math.abs((v as number) - want[j]) <= tol, `step ${entry.step} ${key}: ${v} vs ${want[j]}`);
      });
    }
  });
}

function resumeCopy(name: string, args: string[]): string {
  const run = join(tempDir(`old-${name}`), 'run');
  cpSync(join(FIXTURES, name), run, { recursive: true });
  const resumed = untangle(['train', '--resume', run, ...args]);
  assert.equal(resumed.status, 0, resumed.stderr);
  return run;
}

describe('a checkpoint written by af49a90 resumes exactly', () => {
  it('β-VAE (mlp, MNIST): steps 11-20 as the uninterrupted run logged them', () => {
    const run = resumeCopy('image-run', ['--steps', '20']);
    const expected = readLog(join(FIXTURES, 'image-run'), 'expected-log.jsonl');
    assert.equal(expected.length, 10);
    assertSameLog(strip(readLog(run)), strip(expected));
    // the resumed run gains the latent.json its af49a90 trainer did not write
    const written = JSON.parse(readFileSync(join(run, 'latent.json'), 'utf8'));
    assert.deepEqual(written, {
      model: 'beta-vae',
      continuous: 2,
      code: 'gaussian',
      discrete: [],
      decoder: 'bernoulli',
    });
  });

  it('FHVAE: steps 5-8, across a hierarchical round, as the uninterrupted run logged them', () => {
    const run = resumeCopy('fhvae-run', ['--steps', '8', '--data-path', join(FIXTURES, 'speech-corpus')]);
    const expected = readLog(join(FIXTURES, 'fhvae-run'), 'expected-log.jsonl');
    assert.equal(expected.length, 8);
    assertSameLog(strip(readLog(run)), strip(expected));
  });
});
