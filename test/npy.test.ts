import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeNpy, encodeNpy, type NpyArray, npyHeader, readNpy, writeNpy } from '../src/io/npy.ts';
import { NpzWriter, readNpz, writeNpz } from '../src/io/npz.ts';
import { tempDir } from './helpers/cli.ts';

const python = ['/usr/bin/python3', 'python3'].find(
  (exe) => spawnSync(exe, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0,
);

const samples: NpyArray[] = [
  { dtype: 'uint8', shape: [2, 3], data: new Uint8Array([0, 1, 2, 253, 254, 255]) },
  { dtype: 'int32', shape: [3], data: new Int32Array([-5, 0, 2 ** 31 - 1]) },
  { dtype: 'int64', shape: [2, 1], data: new BigInt64Array([-3n, 9_007_199_254_740_993n]) },
  {
    dtype: 'float32',
    shape: [1, 2, 2],
    data: new Float32Array([0.5, -1.25, Number.POSITIVE_INFINITY, 3e-8]),
  },
  { dtype: 'float64', shape: [2, 2], data: new Float64Array([Math.PI, -0, Number.NaN, 1e300]) },
  { dtype: 'float64', shape: [0, 4], data: new Float64Array([]) },
];
const values = (a: NpyArray) => Array.from(a.data as ArrayLike<unknown>);
/** Asserts that `fn` throws an error whose whole message matches. */
const throwsMessage = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (err: Error) => {
    assert.match(err.message, message);
    return true;
  });

/** A .npy file with this header dict and `dataBytes` zero bytes of data. */
function npyWithDict(dict: string, dataBytes: number): Uint8Array {
  const total = Math.ceil((dict.length + 11) / 64) * 64;
  const bytes = new Uint8Array(total + dataBytes);
  bytes.set([0x93, ...Buffer.from('NUMPY'), 1, 0, total - 10, 0]);
  bytes.set(Buffer.from(`${dict.padEnd(total - 11, ' ')}\n`, 'latin1'), 10);
  return bytes;
}

describe('.npy', () => {
  it('round-trips every supported dtype, in memory and through a file', () => {
    const dir = tempDir('npy');
    for (const [i, a] of samples.entries()) {
      const path = join(dir, `${i}.npy`);
      writeNpy(path, a);
      for (const back of [decodeNpy(encodeNpy(a), 'test'), readNpy(path)]) {
        assert.equal(back.dtype, a.dtype);
        assert.deepEqual(back.shape, a.shape);
        assert.deepEqual(values(back), values(a));
      }
    }
    assert.deepEqual(
      readdirSync(dir).sort(),
      ['0.npy', '1.npy', '2.npy', '3.npy', '4.npy', '5.npy'],
      'no temp files left',
    );
  });

  it('writes the version 1.0 header byte for byte as the format specifies', () => {
    const header = npyHeader('float32', [3, 4]);
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";
    // magic \x93NUMPY, version 1.0, little-endian uint16 header length 118, then the dict padded to 128
    assert.deepEqual(
      Array.from(header.subarray(0, 10)),
      [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00],
    );
    assert.equal(header.length, 128);
    assert.equal(Buffer.from(header.subarray(10, 10 + dict.length)).toString('latin1'), dict);
    assert.ok(
      header.subarray(10 + dict.length, 127).every((b) => b === 0x20),
      'space padding',
    );
    assert.equal(header[127], 0x0a, 'ends in a newline');
    assert.match(
      Buffer.from(npyHeader('uint8', [7])).toString('latin1'),
      /\{'descr': '\|u1', 'fortran_order': False, 'shape': \(7,\), \}/,
    );
    assert.match(Buffer.from(npyHeader('int64', [])).toString('latin1'), /'shape': \(\), \}/);
    assert.throws(
      () => encodeNpy({ dtype: 'int32', shape: [4], data: new Int32Array(3) }),
      /shape \[4\] holds 4 values, the data has 3/,
    );
  });

  it('rejects malformed files with one message naming the file and what was expected', () => {
    const good = encodeNpy(samples[1]);
    const cases: [Uint8Array, RegExp][] = [
      [
        new Uint8Array([1, 2, 3]),
        /^x\.npy: not a \.npy file \(expected it to start with the magic string \\x93NUMPY\)$/,
      ],
      [Buffer.from('PK\x03\x04 this is a zip'), /^x\.npy: not a \.npy file/],
      [good.subarray(0, 40), /^x\.npy: truncated header \(expected 128 header bytes, the file has 40\)$/],
      [
        good.subarray(0, good.length - 2),
        /^x\.npy: truncated data: shape \(3\) of int32 needs 12 bytes, the file has 10$/,
      ],
      [Buffer.concat([good, Buffer.from([0])]), /^x\.npy: 1 unexpected bytes after the data/],
      [
        npyWithDict("{'descr': '>i4', 'fortran_order': False, 'shape': (3,), }", 12),
        /^x\.npy: big-endian dtype '>i4' is not supported \(expected little-endian '<i4'/,
      ],
      [
        npyWithDict("{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }", 24),
        /^x\.npy: unsupported dtype '<c8' \(expected one of \|u1, <i4, <i8, <f4, <f8/,
      ],
      [
        npyWithDict("{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", 24),
        /^x\.npy: unsupported dtype '\|O'/,
      ],
      [
        npyWithDict("{'descr': '<i4', 'fortran_order': True, 'shape': (3,), }", 12),
        /^x\.npy: Fortran-ordered arrays are not supported \(expected C order/,
      ],
      [
        npyWithDict("{'descr': '<i4', 'shape': (3,), }", 12),
        /^x\.npy: unreadable header .*expected 'descr', 'fortran_order' and 'shape'/,
      ],
    ];
    for (const [bytes, message] of cases) throwsMessage(() => decodeNpy(bytes, 'x.npy'), message);
    const badVersion = good.slice();
    badVersion[6] = 9;
    throwsMessage(
      () => decodeNpy(badVersion, 'v.npy'),
      /^v\.npy: unsupported \.npy version 9\.0 \(expected 1\.0, 2\.0 or 3\.0\)$/,
    );
    assert.throws(() => readNpy('/nonexistent/a.npy'), /\/nonexistent\/a\.npy: cannot read/);
  });
});

describe('.npz', () => {
  it('round-trips a small archive and leaves no temp file behind', () => {
    const dir = tempDir('npz');
    const path = join(dir, 'a.npz');
    writeNpz(path, { u: samples[0], i: samples[2], f: samples[3] });
    assert.deepEqual(readdirSync(dir), ['a.npz']);
    assert.equal(readFileSync(path).subarray(0, 4).toString('latin1'), 'PK\x03\x04');
    const back = readNpz(path);
    assert.deepEqual(Object.keys(back).sort(), ['f', 'i', 'u']);
    for (const [name, a] of Object.entries({ u: samples[0], i: samples[2], f: samples[3] })) {
      assert.equal(back[name].dtype, a.dtype);
      assert.deepEqual(back[name].shape, a.shape);
      assert.deepEqual(values(back[name]), values(a));
    }
    assert.deepEqual(Object.keys(readNpz(path, { names: ['i'] })), ['i']);
    assert.throws(() => readNpz(path, { names: ['nope'] }), /a\.npz: no member nope \(expected nope\.npy\)/);
    assert.throws(
      () => readNpz(path, { maxBytes: 100 }),
      /member \w\.npy holds \d+ bytes, more than the 100 this reader loads/,
    );
    writeFileSync(join(dir, 'not.npz'), 'hello');
    assert.throws(() => readNpz(join(dir, 'not.npz')), /not\.npz: not a readable \.npz \(zip\) file/);
  });

  it('streams a member in chunks and refuses wrong sizes, leaving nothing behind on failure', () => {
    const dir = tempDir('npz-stream');
    const path = join(dir, 'big.npz');
    const writer = new NpzWriter(path);
    const member = writer.begin('x', 'int32', [1000, 250]);
    const all = Int32Array.from({ length: 250_000 }, (_, i) => (i * 2654435761) | 0);
    for (let i = 0; i < 250_000; i += 999)
      member.push(new Uint8Array(all.buffer, i * 4, Math.min(999, 250_000 - i) * 4));
    member.end();
    writer.close();
    assert.deepEqual(readNpz(path).x.data, all);

    const failing = new NpzWriter(join(dir, 'bad.npz'));
    const short = failing.begin('y', 'float64', [10]);
    short.push(new Uint8Array(16));
    assert.throws(() => short.end(), /member y got 16 bytes, its shape \(10\) of float64 needs 80/);
    assert.throws(() => failing.begin('z', 'uint8', [1]), /member y is still being written/);
    failing.abort();
    // fflate writes no zip64, so a member of 4 GiB or more is refused before anything is written
    const huge = new NpzWriter(join(dir, 'huge.npz'));
    assert.throws(() => huge.begin('h', 'uint8', [2 ** 32]), /members of 4 GiB or more need zip64/);
    huge.abort();
    assert.deepEqual(readdirSync(dir), ['big.npz']);
  });

  it('interoperates with numpy: np.load reads ours, we read np.save / np.savez_compressed', {
    skip: python ? false : 'numpy is not installed for python3 (apt-get install python3-numpy)',
  }, () => {
    const dir = tempDir('numpy');
    writeNpz(join(dir, 'ours.npz'), { u: samples[0], i: samples[2], f: samples[3], d: samples[4] });
    writeNpy(join(dir, 'ours.npy'), samples[3]);
    const script = `
import numpy as np, sys
d = np.load('${dir}/ours.npz')
assert sorted(d.files) == ['d', 'f', 'i', 'u'], d.files
assert d['u'].dtype == np.uint8 and d['u'].shape == (2, 3) and d['u'][1, 2] == 255
assert d['i'].dtype == np.int64 and d['i'][1, 0] == 9007199254740993
assert d['f'].dtype == np.float32 and d['f'][0, 0, 1] == -1.25 and np.isinf(d['f'][0, 1, 0])
assert d['d'].dtype == np.float64 and d['d'][0, 0] == np.pi and np.isnan(d['d'][1, 0])
assert (np.load('${dir}/ours.npy') == d['f']).all()
# our headers are byte for byte numpy's
np.save('${dir}/ref.npy', np.zeros((1, 2, 2), np.float32))
assert open('${dir}/ref.npy', 'rb').read(128) == open('${dir}/ours.npy', 'rb').read(128)
np.save('${dir}/theirs.npy', np.arange(12, dtype=np.float64).reshape(3, 4) / 4)
np.savez_compressed('${dir}/theirs.npz', a=np.arange(6, dtype=np.int32).reshape(2, 3), b=np.array([-1, 2**40], dtype=np.int64))
np.save('${dir}/fortran.npy', np.asfortranarray(np.ones((2, 3))))
np.save('${dir}/big-endian.npy', np.arange(3, dtype='>i4'))
`;
    const run = spawnSync(python!, ['-c', script], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const theirs = readNpy(join(dir, 'theirs.npy'));
    assert.deepEqual(theirs.shape, [3, 4]);
    assert.equal((theirs.data as Float64Array)[5], 1.25);
    const npz = readNpz(join(dir, 'theirs.npz'));
    assert.deepEqual(values(npz.a), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(values(npz.b), [-1n, 2n ** 40n]);
    assert.throws(
      () => readNpy(join(dir, 'fortran.npy')),
      /fortran\.npy: Fortran-ordered arrays are not supported/,
    );
    assert.throws(() => readNpy(join(dir, 'big-endian.npy')), /big-endian\.npy: big-endian dtype '>i4'/);
  });
});
