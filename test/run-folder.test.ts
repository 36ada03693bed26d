import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { replaceDirAtomic } from '../src/io/atomic.ts';
import { InputError } from '../src/io/input-error.ts';
import { readLog, truncateLog } from '../src/run/log.ts';
import { tempDir } from './helpers/cli.ts';

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
