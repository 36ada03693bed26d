import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeNpy, encodeNpy, type NpyArray, npyHeader } from '../src/io/npy.ts';
import { readNpz, writeNpz } from '../src/io/npz.ts';
import { tempDir } from './helpers/cli.ts';

const hasNumpy = spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

const samples: NpyArray[] = [
  { dtype: 'uint8', shape: [2, 3], data: new Uint8Array([0, 1, 2, 253, 254, 255]) },
  { dtype: 'int32', shape: [3], data: new Int32Array([-5, 0, 2 ** 31 - 1]) },
  { dtype: 'int64', shape: [2, 1], data: new BigInt64Array([-3n, 9_007_199_254_740_993n]) },
  {
    dtype: 'float32',
    shape: [1, 2, 2],
    data: new Float32Array([0.5, -1.25, Number.POSITIVE_INFINITY, 3e-8]),
  },
  { dtype: 'float64', shape: [0, 4], data: new Float64Array([]) },
];

describe('.npy and .npz', () => {
  it('round-trips every supported dtype', () => {
    for (const a of samples) {
      const back = decodeNpy(encodeNpy(a), 'test');
      assert.equal(back.dtype, a.dtype);
      assert.deepEqual(back.shape, a.shape);
      assert.deepEqual(Array.from(back.data as ArrayLike<unknown>), Array.from(a.data as ArrayLike<unknown>));
    }
  });

  it('writes the header the format specifies, byte for byte', () => {
    const header = npyHeader('float32', [3, 4]);
    assert.equal(header.length % 64, 0);
    assert.deepEqual(Array.from(header.subarray(0, 8)), [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    assert.equal(header[8] + 256 * header[9], header.length - 10);
    const dict = Buffer.from(header.subarray(10)).toString('latin1');
    assert.equal(dict.trimEnd(), "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }");
    assert.ok(dict.endsWith('\n'));
    assert.match(Buffer.from(npyHeader('uint8', [7])).toString('latin1'), /'shape': \(7,\)/);
  });

  it('rejects malformed files with a message naming the file and what was expected', () => {
    const good = encodeNpy(samples[1]);
    const withDict = (dict: string) => {
      const header = npyHeader('int32', [3]);
      const text = `${dict.padEnd(header.length - 11, ' ')}\n`;
      const bytes = new Uint8Array(header.length + 12);
      bytes.set(header.subarray(0, 10));
      bytes.set(Buffer.from(text, 'latin1'), 10);
      return bytes;
    };
    assert.throws(() => decodeNpy(new Uint8Array([1, 2, 3]), 'x.npy'), /x\.npy: not a \.npy file/);
    assert.throws(
      () => decodeNpy(good.subarray(0, good.length - 2), 'x.npy'),
      /x\.npy: holds 10 data bytes.*needs 12/,
    );
    assert.throws(
      () => decodeNpy(withDict("{'descr': '>i4', 'fortran_order': False, 'shape': (3,), }"), 'b.npy'),
      /b\.npy: unsupported dtype '>i4'/,
    );
    assert.throws(
      () => decodeNpy(withDict("{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }"), 'c.npy'),
      /unsupported dtype '<c8'/,
    );
    assert.throws(
      () => decodeNpy(withDict("{'descr': '<i4', 'fortran_order': True, 'shape': (3,), }"), 'f.npy'),
      /Fortran-ordered/,
    );
    const badVersion = good.slice();
    badVersion[6] = 9;
    assert.throws(() => decodeNpy(badVersion, 'v.npy'), /unsupported \.npy version 9/);
  });

  it('round-trips an .npz and leaves no temp file behind', () => {
    const dir = tempDir('npz');
    const path = join(dir, 'a.npz');
    writeNpz(path, { u: samples[0], f: samples[3] });
    const back = readNpz(path);
    assert.deepEqual(Object.keys(back).sort(), ['f', 'u']);
    assert.deepEqual(Array.from(back.u.data as Uint8Array), [0, 1, 2, 253, 254, 255]);
    assert.deepEqual(readFileSync(path).subarray(0, 2).toString(), 'PK');
    writeFileSync(join(dir, 'not.npz'), 'hello');
    assert.throws(() => readNpz(join(dir, 'not.npz')), /not\.npz: not a readable \.npz/);
  });

  it('numpy reads what we write and we read what numpy writes', {
    skip: hasNumpy ? false : 'python3-numpy is not installed',
  }, () => {
    const dir = tempDir('numpy');
    writeNpz(join(dir, 'ours.npz'), { u: samples[0], i: samples[2], f: samples[3] });
    const script = `
import numpy as np
d = np.load('${dir}/ours.npz')
assert d['u'].dtype == np.uint8 and d['u'].shape == (2, 3) and d['u'][1, 2] == 255
assert d['i'].dtype == np.int64 and d['i'][1, 0] == 9007199254740993
assert d['f'].dtype == np.float32 and d['f'][0, 0, 1] == -1.25
np.save('${dir}/theirs.npy', np.arange(12, dtype=np.float64).reshape(3, 4) / 4)
np.save('${dir}/fortran.npy', np.asfortranarray(np.ones((2, 3))))
`;
    const run = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const theirs = decodeNpy(readFileSync(join(dir, 'theirs.npy')), 'theirs.npy');
    assert.deepEqual(theirs.shape, [3, 4]);
    assert.equal((theirs.data as Float64Array)[5], 1.25);
    assert.throws(() => decodeNpy(readFileSync(join(dir, 'fortran.npy')), 'fortran.npy'), /Fortran-ordered/);
  });
});
