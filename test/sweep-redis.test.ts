import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readLog } from '../src/run/log.ts';
import { tempDir, untangleAsync } from './helpers/cli.ts';
import { freePort, hasRedis, startRedis } from './helpers/redis.ts';
import { tinySpec } from './helpers/sweep-spec.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exited = (child: ChildProcess) =>
  new Promise<number | null>((r) => (child.exitCode != null ? r(child.exitCode) : child.once('exit', r)));

/** Collects a child's stderr. */
function output(child: ChildProcess): () => string {
  let text = '';
  child.stderr!.on('data', (d: Buffer) => {
    text += d.toString();
  });
  child.stdout!.on('data', (d: Buffer) => {
    text += d.toString();
  });
  return () => text;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Each job long enough to be killed in the middle of. */
const slowSpec = () => ({ ...tinySpec(60), train: { ...tinySpec().train, steps: 60, checkpointEvery: 10 } });

describe('sweeps on BullMQ + Redis', { skip: hasRedis ? false : 'redis-server is not installed' }, () => {
  const children: ChildProcess[] = [];
  const track = <T extends ChildProcess>(c: T) => {
    children.push(c);
    return c;
  };
  after(() => {
    for (const c of children) if (c.exitCode == null) c.kill('SIGKILL');
  });

  it('a worker killed with kill -9 mid-job: the job completes on the other, every result recorded once', async () => {
    const port = await freePort();
    track(await startRedis(port));
    const url = `redis://127.0.0.1:${port}`;
    const dir = tempDir('redis-kill');
    const specPath = join(dir, 'spec.json');
    writeFileSync(specPath, JSON.stringify(slowSpec()));
    const out = join(dir, 'sweep');
    const workerArgs = ['worker', '--redis', url, '--lock-ms', '2000'];
    const a = track(untangleAsync(workerArgs));
    const b = track(untangleAsync(workerArgs));
    const [aLog, bLog] = [output(a), output(b)];
    const sweep = track(untangleAsync(['sweep', specPath, '--out', out, '--redis', url]));
    const sweepLog = output(sweep);

    // kill worker a while it is in the middle of a job (its run has a checkpoint, not yet a result)
    const runs = join(out, 'runs');
    await waitFor(
      () =>
        existsSync(runs) &&
        readdirSync(runs).some((id) => existsSync(join(runs, id, 'checkpoint', 'state.json'))),
      'a checkpoint',
    );
    a.kill('SIGKILL');
    await exited(a);

    assert.equal(await exited(sweep), 0, sweepLog());
    assert.match(sweepLog(), /4\/4 jobs finished/);
    const results = readdirSync(join(out, 'results'));
    assert.equal(results.length, 4, 'one result per job');
    const completed = (aLog() + bLog()).match(/worker: \w+ done/g) ?? [];
    assert.equal(new Set(completed).size, completed.length, `no job completed twice: ${completed}`);
    for (const id of results.map((f) => f.replace('.json', ''))) {
      const log = readLog(join(runs, id));
      assert.deepEqual(
        log.map((e) => e.step),
        [
          2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 42, 44, 46, 48, 50, 52,
          54, 56, 58, 60,
        ],
        `${id}: every step logged once, the interrupted run resumed`,
      );
    }
    b.kill('SIGTERM');
    await exited(b);
  });

  it('Redis restarted mid-sweep (its data lost): the sweep still completes; re-submitting runs nothing', async () => {
    const port = await freePort();
    let redis = track(await startRedis(port));
    const url = `redis://127.0.0.1:${port}`;
    const dir = tempDir('redis-restart');
    const specPath = join(dir, 'spec.json');
    writeFileSync(specPath, JSON.stringify(slowSpec()));
    const out = join(dir, 'sweep');
    const worker = track(untangleAsync(['worker', '--redis', url, '--lock-ms', '2000']));
    const sweep = track(untangleAsync(['sweep', specPath, '--out', out, '--redis', url]));
    const sweepLog = output(sweep);
    output(worker);

    await waitFor(
      () => existsSync(join(out, 'results')) && readdirSync(join(out, 'results')).length >= 1,
      'a result',
    );
    redis.kill('SIGKILL');
    await exited(redis);
    await sleep(500);
    redis = track(await startRedis(port));

    assert.equal(await exited(sweep), 0, sweepLog());
    assert.equal(readdirSync(join(out, 'results')).length, 4);

    const again = track(untangleAsync(['sweep', specPath, '--out', out, '--redis', url]));
    const againLog = output(again);
    assert.equal(await exited(again), 0, againLog());
    assert.match(againLog(), /4 finished earlier/);
    const resultTimes = readdirSync(join(out, 'results')).map((f) =>
      readFileSync(join(out, 'results', f), 'utf8'),
    );
    assert.equal(resultTimes.length, 4);
    worker.kill('SIGTERM');
    await exited(worker);
  });
});
