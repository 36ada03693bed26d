/**
 * `npx tsx bench/modularity-noise.ts`: modularity of a 15,000 x 10 pure-noise code with dSprites' factor
 * sizes, ours and numpy/scikit-learn's (disentanglement_lib's formula), on the same 10,000 train rows for
 * three draws and over 20 draws each (ours: the metric's own sampling; numpy: its own permutations).
 * Prints one JSON line. Needs Debian's python3-sklearn.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../src/engine/rng.ts';
import { writeNpy } from '../src/io/npy.ts';
import { poolSource } from '../src/metrics/code-source.ts';
import { discretizedColumns, mutualInformationMatrix } from '../src/metrics/information.ts';
import { modularityOf } from '../src/metrics/modularity-explicitness.ts';
import { intColumns } from '../src/metrics/representation.ts';
import { metricRng } from '../src/metrics/suite.ts';
import { sizes } from './metrics-codes.ts';

const n = 15_000;
const dim = 10;
const k = sizes.length;
const rng = new Rng(7);
const factors = new Int32Array(n * k);
const codes = new Float64Array(n * dim);
for (let i = 0; i < n; i++) {
  factors.set(
    sizes.map((s) => rng.int(s)),
    i * k,
  );
  for (let d = 0; d < dim; d++) codes[i * dim + d] = rng.normal();
}
const dir = mkdtempSync(join(tmpdir(), 'untangle-modularity-noise-'));
writeNpy(join(dir, 'codes.npy'), { dtype: 'float64', shape: [n, dim], data: codes });
writeNpy(join(dir, 'factors.npy'), { dtype: 'int32', shape: [n, k], data: factors });
const source = poolSource(codes, factors, n, dim);
const ours: number[] = [];
for (let seed = 0; seed < 20; seed++) {
  const [train] = source.samples([10_000, 5_000], metricRng(seed, 'modularity-explicitness'));
  if (seed < 3) {
    writeNpy(join(dir, `z${seed}.npy`), { dtype: 'float64', shape: [train.n, dim], data: train.codes });
    writeNpy(join(dir, `y${seed}.npy`), { dtype: 'int32', shape: [train.n, k], data: train.factors });
  }
  const mi = mutualInformationMatrix(
    discretizedColumns(train.codes, train.n, dim, 20),
    intColumns(train.factors, train.n, k),
  );
  ours.push(modularityOf(mi));
}
const script = `import json, numpy as np
from sklearn.metrics import mutual_info_score
def mod(z, y):
    d = np.stack([np.digitize(c, np.histogram(c, 20)[1][:-1]) for c in z.T])
    m = np.array([[mutual_info_score(f, c) for f in y.T] for c in d]) ** 2
    top = m.max(1)
    return float(np.mean(np.where(top > 0, 1 - (m.sum(1) - top) / (top * (m.shape[1] - 1)), 0)))
same = [mod(np.load('${dir}/z%d.npy' % s), np.load('${dir}/y%d.npy' % s)) for s in range(3)]
z, y = np.load('${dir}/codes.npy'), np.load('${dir}/factors.npy')
rng = np.random.RandomState(0)
draws = [mod(z[o], y[o]) for o in (rng.permutation(len(z))[:10000] for _ in range(20))]
print(json.dumps({'same': same, 'draws': draws}))`;
const out = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' });
if (out.status !== 0) throw new Error(out.stderr);
const peer = JSON.parse(out.stdout);
const stats = (v: number[]) => {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean, std: Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length) };
};
process.stdout.write(
  `${JSON.stringify({
    sameRows: { ours: ours.slice(0, 3), numpy: peer.same },
    largestDifference: Math.max(...peer.same.map((v: number, i: number) => Math.abs(v - ours[i]))),
    ours: stats(ours),
    numpy: stats(peer.draws),
  })}\n`,
);
