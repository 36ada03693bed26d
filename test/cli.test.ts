import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readLog } from '../src/run/log.ts';
import { tempDir, untangle, untangleAsync } from './helpers/cli.ts';

/** A conv64 run small enough to take a few seconds. */
const quick = ['--model', 'beta-vae', '--dataset', 'dsprites', '--set', 'batchSize=8', '--set', 'logEvery=1'];
const losses = (dir: string) => readLog(dir).map(({ imgPerSec: _, ...rest }) => rest);

/** The one line a failed command prints. */
function assertOneLineError(result: ReturnType<typeof untangle>, pattern: RegExp): void {
  assert.equal(result.status, 2, `exit code 2, got ${result.status}: ${result.stderr}`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${result.stderr}`);
  assert.match(lines[0], pattern);
}

describe('untangle CLI', () => {
  it('every subcommand has --help', () => {
    for (const command of ['train', 'traverse', 'bench', 'demo', 'data']) {
      const result = untangle([command, '--help']);
      assert.equal(result.status, 0, `${command} --help: ${result.stderr}`);
      assert.match(result.stdout, new RegExp(`Usage: untangle ${command}`));
    }
  });

  it('rejects bad input with one line and exit code 2', () => {
    const out = tempDir('bad');
    assertOneLineError(
      untangle(['train', ...quick, '--steps', 'abc', '--out', join(out, 'r')]),
      /--steps expects a non-negative integer/,
    );
    assertOneLineError(
      untangle(['train', '--model', 'nope', '--steps', '1', '--out', join(out, 'r')]),
      /unknown model "nope"/,
    );
    assertOneLineError(
      untangle(['train', ...quick, '--steps', '1', '--set', 'batchSize=-3', '--out', join(out, 'r')]),
      /batchSize/,
    );
    assertOneLineError(
      untangle(['train', ...quick, '--steps', '1', '--set', 'beta', '--out', join(out, 'r')]),
      /expected key=value/,
    );
    const badJson = join(out, 'bad.json');
    writeFileSync(badJson, '{"steps": 3,');
    assertOneLineError(
      untangle(['train', '--config', badJson, '--out', join(out, 'r')]),
      /bad\.json is not valid JSON/,
    );
    assertOneLineError(untangle(['train', '--resume', out]), /is not a run folder/);
    assert.ok(!existsSync(join(out, 'r')), 'no run folder is created by a rejected command');
  });

  it('never overwrites an existing run folder without --overwrite', () => {
    const dir = tempDir('exists');
    writeFileSync(join(dir, 'precious.txt'), 'keep me');
    assertOneLineError(
      untangle(['train', ...quick, '--steps', '1', '--out', dir]),
      /already exists.*--overwrite/,
    );
    assert.equal(readFileSync(join(dir, 'precious.txt'), 'utf8'), 'keep me');
  });

  it("a run killed with kill -9 resumes to the uninterrupted run's losses", async () => {
    const steps = ['--steps', '40', '--seed', '9', '--set', 'checkpointEvery=10'];
    const whole = join(tempDir('whole'), 'run');
    assert.equal(untangle(['train', ...quick, ...steps, '--out', whole]).status, 0);

    const killed = join(tempDir('killed'), 'run');
    const child = untangleAsync(['train', ...quick, ...steps, '--out', killed]);
    const state = join(killed, 'checkpoint', 'state.json');
    let savedStep = 0;
    while (savedStep < 20) {
      await new Promise((r) => setTimeout(r, 20));
      if (existsSync(state)) savedStep = JSON.parse(readFileSync(state, 'utf8')).step;
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const loggedAtKill = readLog(killed).length;
    assert.ok(loggedAtKill < 40, `killed before the end (logged ${loggedAtKill} steps)`);

    const resumed = untangle(['train', '--resume', killed]);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.deepEqual(losses(killed), losses(whole));
    for (const picture of ['traversal.png', 'traversal.gif', 'reconstructions.png', 'samples.png']) {
      assert.ok(statSync(join(killed, picture)).size > 100, `${picture} written`);
    }
  });

  it('traverse rewrites the pictures of a run; a damaged checkpoint is reported, not overwritten', () => {
    const run = join(tempDir('traverse'), 'run');
    assert.equal(untangle(['train', ...quick, '--steps', '2', '--out', run]).status, 0);
    const result = untangle(['traverse', run, '--steps', '7']);
    assert.equal(result.status, 0, result.stderr);
    const png = readFileSync(join(run, 'traversal.png'));
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.equal(readFileSync(join(run, 'traversal.gif')).subarray(0, 6).toString(), 'GIF89a');
    const weights = join(run, 'checkpoint', 'encoder', 'weights.bin');
    truncateSync(weights, 100);
    assertOneLineError(untangle(['traverse', run]), /weights\.bin: holds 100 bytes/);
    assert.equal(statSync(weights).size, 100, 'the damaged file is left as it was');
  });
});
