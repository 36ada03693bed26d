import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../src/io/input-error.ts';
import { checkOutputFile, makeOutputDir } from '../src/io/out-dir.ts';
import { ROOT, tempDir } from './helpers/cli.ts';

async function rejectsInput(dir: string, pattern: RegExp): Promise<void> {
  await assert.rejects(makeOutputDir(dir), (err: Error) => {
    assert.ok(err instanceof InputError, `${dir}: expected an InputError, got ${err.name}: ${err.message}`);
    assert.match(err.message, pattern);
    assert.equal(err.message.split('\n').length, 1);
    return true;
  });
}

describe('output folders', () => {
  it('creates missing parents one by one, and accepts an existing folder', async () => {
    const root = tempDir('out');
    await makeOutputDir(join(root, 'a', 'b', 'c'));
    assert.ok(statSync(join(root, 'a', 'b', 'c')).isDirectory());
    await makeOutputDir(join(root, 'a'));
  });

  it('refuses a path under a file, a file, /proc and /sys with one line naming --out', async () => {
    const root = tempDir('out-bad');
    writeFileSync(join(root, 'file'), 'x');
    await rejectsInput(join(root, 'file', 'run'), /^--out .*file\/run: .*file is a file, not a folder/);
    await rejectsInput(join(root, 'file'), /file is a file, not a folder/);
    await rejectsInput('/proc/x', /^--out \/proc\/x: \/proc is a kernel file system/);
    await rejectsInput('/proc/self/x/y', /kernel file system/);
    await rejectsInput('/sys/x', /^--out \/sys\/x: \/sys is a kernel file system/);
    assert.ok(!existsSync(join(root, 'file', 'run')));
  });

  it('checks an output file before any work: a folder, a missing folder, /proc', async () => {
    const root = tempDir('out-file');
    await checkOutputFile(join(root, 'm.json'));
    for (const [path, pattern] of [
      [root, /is a folder, expected a file name/],
      [join(root, 'no', 'm.json'), /folder .*no does not exist/],
      ['/proc/x.npz', /\/proc is a kernel file system/],
    ] as const) {
      await assert.rejects(
        checkOutputFile(path),
        (err: Error) => err instanceof InputError && pattern.test(err.message),
      );
    }
  });

  it('refuses a read-only folder (where permissions apply)', async (t) => {
    if (process.getuid?.() === 0) {
      t.skip('root writes to read-only folders: covered by /proc and /sys above');
      return;
    }
    const root = tempDir('out-ro');
    mkdirSync(join(root, 'ro'), { mode: 0o555 });
    await rejectsInput(join(root, 'ro', 'run'), /folder .*ro is not writable \(EACCES\)/);
  });

  it('train --out /proc/x gives one line and exit 2 (it used to spin at 100% CPU)', () => {
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'train', '--steps', '1', '--out', '/proc/x'],
      { cwd: ROOT, encoding: 'utf8', timeout: 300_000 },
    );
    assert.equal(result.status, 2, `exit ${result.status} ${result.signal ?? ''}: ${result.stderr}`);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /--out \/proc\/x: \/proc is a kernel file system/);
  });
});
