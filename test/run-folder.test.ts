import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { replaceDirAtomic } from '../src/io/atomic.ts';
import { InputError } from '../src/io/input-error.ts';
import { readLog, truncateLog } from '../src/run/log.ts';
import { tempDir, untangle } from './helpers/cli.ts';

const line = (step: number) => `${JSON.stringify({ step, total: step / 10 })}\n`;

describe('a run folder after a kill', () => {
  it('drops a log line torn by a kill during its append; names the file and line of any other bad line', async () => {
    const run = tempDir('log-torn');
    writeFileSync(join(run, 'log.jsonl'), `${line(1)}${line(2)}{"step": 3, "tot`);
    assert.deepEqual(
      readLog(run).map((e) => e.step),
      [1, 2],
    );
    await truncateLog(run, 2);
    assert.equal(readFileSync(join(run, 'log.jsonl'), 'utf8'), `${line(1)}${line(2)}`);
    // garbage inside the log (not a torn append): refused, naming the file and line, escaped
    writeFileSync(join(run, 'log.jsonl'), `${line(1)}\u0000\u0001garbage\n${line(3)}`);
    assert.throws(
      () => readLog(run),
      (err: Error) =>
        err instanceof InputError &&
        /log\.jsonl: line 2 is not JSON: "\\u0000\\u0001garbage"$/.test(err.message),
    );
    writeFileSync(join(run, 'log.jsonl'), `${line(1)}[1, 2]\n`);
    assert.throws(() => readLog(run), /log\.jsonl: line 2 is not a log entry/);
  });

  it('removes the checkpoint temp folders of killed processes, not those of live ones', async () => {
    const run = tempDir('ckpt-tmp');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const stale = join(run, `.checkpoint.tmp-${dead}-0123abcd`);
    const staleFile = join(run, `.log.jsonl.tmp-${dead}-89abcdef`);
    const live = join(run, `.checkpoint.tmp-${process.ppid}-deadbeef`);
    for (const folder of [stale, live]) mkdirSync(folder);
    writeFileSync(staleFile, 'x');
    await replaceDirAtomic(join(run, 'checkpoint'), async (dir) =>
      writeFileSync(join(dir, 'state.json'), '{}'),
    );
    assert.ok(!existsSync(stale) && !existsSync(staleFile), readdirSync(run).join(', '));
    assert.ok(existsSync(live), 'a running writer keeps its temp');
    assert.ok(existsSync(join(run, 'checkpoint', 'state.json')));
  });
});

/** A tiny run: two MLP steps on dSprites, checkpointed at the end. */
const tiny = ['--model', 'vae', '--set', 'architecture=mlp', '--set', 'hidden=[8]', '--set', 'batchSize=4'];
const tinyArgs = (out: string, ...more: string[]) => [
  'train',
  ...tiny,
  '--steps',
  '2',
  '--threads',
  '1',
  '--out',
  out,
  ...more,
];

function assertOneLine(result: ReturnType<typeof untangle>, pattern: RegExp): void {
  assert.equal(result.status, 2, `exit 2, got ${result.status}: ${result.stderr}`);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, pattern);
}

const snapshot = (run: string) =>
  ['config.json', 'log.jsonl', 'checkpoint/state.json', 'checkpoint/encoder/weights.bin'].map((f) =>
    readFileSync(join(run, f)).toString('base64'),
  );

describe('train keeps what it has', () => {
  const root = tempDir('train-keep');
  const good = join(root, 'good');

  it('--overwrite with a config that fails leaves the old run as it was', () => {
    const made = untangle(tinyArgs(good));
    assert.equal(made.status, 0, made.stderr);
    const before = snapshot(good);
    assertOneLine(untangle(tinyArgs(good, '--overwrite', '--dataset', 'nope')), /unknown dataset "nope"/);
    assert.deepEqual(snapshot(good), before, 'every file of the old run is back');
    assert.deepEqual(readdirSync(root), ['good'], 'nothing left beside it');
  });

  it('a start that failed before its first checkpoint does not block the corrected re-run', () => {
    const run = join(root, 'failed');
    assertOneLine(untangle(tinyArgs(run, '--dataset', 'nope')), /unknown dataset "nope"/);
    assert.deepEqual(readdirSync(run), ['config.json']);
    const again = untangle(tinyArgs(run));
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /taking over .*failed: a start that failed before its first checkpoint/);
    assert.ok(existsSync(join(run, 'checkpoint', 'state.json')));
    // --resume of a folder that never checkpointed trains it from step 0, its partial log dropped
    const never = join(root, 'never');
    mkdirSync(never);
    cpSync(join(good, 'config.json'), join(never, 'config.json'));
    writeFileSync(join(never, 'log.jsonl'), line(1));
    const resumed = untangle(['train', '--resume', never]);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stderr, /no checkpoint yet, training it from step 0/);
    assert.deepEqual(
      readLog(never).map((e) => e.step),
      readLog(good).map((e) => e.step),
    );
  });

  it('a failed --resume --steps N leaves config.json as it was; a checkpoint past the steps is refused', () => {
    const run = join(root, 'resume');
    cpSync(good, run, { recursive: true });
    const config = readFileSync(join(run, 'config.json'), 'utf8');
    const weights = join(run, 'checkpoint', 'decoder', 'weights.bin');
    const bytes = readFileSync(weights);
    bytes.writeFloatLE(Number.NaN, 0);
    writeFileSync(weights, bytes);
    assertOneLine(untangle(['train', '--resume', run, '--steps', '40']), /weights\.bin: weight .* holds NaN/);
    assert.equal(readFileSync(join(run, 'config.json'), 'utf8'), config, 'steps still 2');

    const past = join(root, 'past');
    cpSync(good, past, { recursive: true });
    const statePath = join(past, 'checkpoint', 'state.json');
    writeFileSync(
      statePath,
      JSON.stringify({ ...JSON.parse(readFileSync(statePath, 'utf8')), step: 1_000_000 }),
    );
    assertOneLine(
      untangle(['train', '--resume', past]),
      /state\.json: step 1000000 is past the run's 2 steps/,
    );
  });
});
