import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { latentLayout, MODELS } from '../src/models/registry.ts';
import { readLog } from '../src/run/log.ts';
import { ROOT, tempDir, untangle, untangleAsync } from './helpers/cli.ts';

// Every model of the zoo through the CLI on dSprites: killed with kill -9 after its first checkpoint,
// resumed, it logs exactly the terms of the uninterrupted run and writes its pictures. (MLP nets keep it
// quick; test/cli.test.ts does the same for conv64.)
const losses = (dir: string) => readLog(dir).map(({ imgPerSec: _, ...rest }) => rest);

// the models that read labels train on their own data (the batch's factors reach the loss)
const DATASET_OF: Record<string, string> = {
  'semi-supervised-vae': 'mnist-semi',
  'fair-vae': 'mnist-sensitive',
};

/** Runs `args` whole and killed with kill -9 after its first checkpoint then resumed; returns both folders. */
async function wholeAndKilled(args: string[], lines: number): Promise<{ whole: string; killed: string }> {
  const whole = join(tempDir('whole'), 'run');
  const done = untangle([...args, '--out', whole]);
  assert.equal(done.status, 0, done.stderr);

  const killed = join(tempDir('killed'), 'run');
  const child = untangleAsync([...args, '--out', killed]);
  const state = join(killed, 'checkpoint', 'state.json');
  while (!existsSync(state)) await new Promise((r) => setTimeout(r, 5));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const loggedAtKill = readLog(killed).length;
  assert.ok(loggedAtKill < lines, `killed before the end (logged ${loggedAtKill} of ${lines} lines)`);

  const resumed = untangle(['train', '--resume', killed]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.equal(readLog(killed).length, lines);
  return { whole, killed };
}

describe('kill -9 and resume, every model', () => {
  it('fhvae (train --model fhvae --dataset speech): resumed after kill -9, the same losses term by term', async () => {
    const corpus = join(ROOT, 'test', 'fixtures', 'af49a90', 'speech-corpus');
    const small = ['frames=10', 'units=8', 'z1Dim=2', 'z2Dim=2', 'batchSize=8', 'logEvery=2'];
    const rounds = ['segmentShift=5', 'sequencesPerRound=4', 'roundSteps=7', 'checkpointEvery=10'];
    const args = ['train', '--model', 'fhvae', '--dataset', 'speech', '--data-path', corpus];
    const { whole, killed } = await wholeAndKilled(
      [
        ...args,
        '--steps',
        '60',
        '--seed',
        '3',
        '--threads',
        '1',
        ...[...small, ...rounds].flatMap((s) => ['--set', s]),
      ],
      30,
    );
    const strip = (dir: string) => readLog(dir).map(({ segPerSec: _, ...rest }) => rest);
    assert.deepEqual(strip(killed), strip(whole));
    assert.ok(new Set(strip(whole).map((e) => e.round)).size > 5, 'the run crossed hierarchical rounds');
    for (const picture of ['reconstructions.png', 'speaker-swap.png'])
      assert.ok(statSync(join(killed, picture)).size > 100, `${picture} written`);
    assert.equal(JSON.parse(readFileSync(join(killed, 'config.json'), 'utf8')).dataPath, corpus);
  });

  for (const model of Object.keys(MODELS).filter((m) => m !== 'beta-vae')) {
    it(`${model}: resumed after kill -9, the same losses term by term`, async () => {
      const args = [
        'train',
        '--model',
        model,
        '--steps',
        '120',
        '--seed',
        '4',
        '--threads',
        '1',
        ...(DATASET_OF[model] ? ['--dataset', DATASET_OF[model]] : []),
        ...['architecture="mlp"', 'hidden=[32]', 'batchSize=8', 'logEvery=4', 'checkpointEvery=20'].flatMap(
          (s) => ['--set', s],
        ),
      ];
      const { whole, killed } = await wholeAndKilled(args, 30);
      const [a, b] = [losses(whole), losses(killed)];
      assert.equal(b.length, 30);
      assert.deepEqual(b, a);
      // every model logs its reconstruction and, but for the autoencoder, more terms (kl, ...)
      const terms = Object.keys(a[0]).filter((k) => k !== 'step' && k !== 'total');
      assert.ok(
        terms.includes('reconstruction') && terms.length >= (model === 'autoencoder' ? 1 : 3),
        `terms logged: ${terms}`,
      );
      for (const picture of ['traversal.png', 'reconstructions.png', 'samples.png']) {
        assert.ok(statSync(join(killed, picture)).size > 100, `${picture} written`);
      }
      const layout = latentLayout({ model, latentDim: 10, modelOptions: MODELS[model].defaults });
      if (layout.discrete.length > 0 && model !== 'fair-vae')
        assert.ok(existsSync(join(killed, 'discrete.png')));
      assert.equal(JSON.parse(readFileSync(join(killed, 'config.json'), 'utf8')).model, model);
    });
  }
});
