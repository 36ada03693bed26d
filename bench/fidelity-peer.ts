/**
 * `npm run fidelity:peer`: Untangle against an independent PyTorch implementation (bench/fidelity_peer.py)
 * of the β-VAE and β-TCVAE, the same nets, initialisation scheme, data (`untangle data dsprites` .npz),
 * hyperparameters and budget, run alternately (one at a time, so both see the same machine load). Prints
 * each run as a JSON line, then the comparison: final training reconstruction and KL (mean over seeds;
 * agree within 5%?), active units (equal?) and MIG (within the seed spread?).
 * Options: --steps N (the demo's 1,500) --seeds S (3) --batch B (64) --lr (the demo's 2e-3) --beta (4)
 * --tc-beta (the demo's 10) --models beta-vae,beta-tcvae --threads T (1, Untangle) --peer-threads T (1,
 * PyTorch) --npz FILE (runs/dsprites.npz, written if missing)
 * --out DIR (runs/fidelity-peer) --json FILE (also write the comparison there) --reuse FILE (an earlier
 * --json of the same settings: its runs are kept and only the missing seeds are trained).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEMO_RECIPE } from '../src/cli/demo.ts';
import { spreadOf } from '../src/sweep/study-report.ts';
import { lastTenth } from '../src/sweep/training-tail.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: String(DEMO_RECIPE.steps) },
    seeds: { type: 'string', default: '3' },
    batch: { type: 'string', default: String(DEMO_RECIPE.batchSize) },
    lr: { type: 'string', default: String(DEMO_RECIPE.learningRate) },
    beta: { type: 'string', default: '4' },
    'tc-beta': { type: 'string', default: String(DEMO_RECIPE.modelOptions.beta) },
    models: { type: 'string', default: 'beta-vae,beta-tcvae' },
    // one thread: Untangle's threads split the batch, and β-TCVAE's q(z) estimate then sees only each
    // thread's share of it, where the peer's sees the whole batch
    threads: { type: 'string', default: '1' },
    // PyTorch's OpenMP threads spin: on a shared, loaded machine one thread trains faster than two
    'peer-threads': { type: 'string', default: '1' },
    npz: { type: 'string', default: join(root, 'runs', 'dsprites.npz') },
    out: { type: 'string', default: join(root, 'runs', 'fidelity-peer') },
    json: { type: 'string' },
    reuse: { type: 'string' },
  },
});
const python = '/usr/bin/python3';
const cli = join(root, 'bin', 'untangle.js');

function fail(message: string): never {
  process.stderr.write(`fidelity:peer: ${message}\n`);
  process.exit(2);
}

function run(command: string, args: string[]): string {
  const out = spawnSync(command, args, { encoding: 'utf8', cwd: root, maxBuffer: 1 << 26 });
  if (out.status !== 0) fail(`${command} ${args.join(' ')} failed:\n${out.stderr.slice(-2000)}`);
  return out.stdout;
}

if (spawnSync(python, ['-c', 'import torch, sklearn'], { encoding: 'utf8' }).status !== 0)
  fail('PyTorch or scikit-learn is missing: apt-get install -y python3-torch python3-sklearn');
if (!existsSync(values.npz)) {
  process.stderr.write(`writing ${values.npz} (untangle data dsprites)...\n`);
  mkdirSync(dirname(values.npz), { recursive: true });
  run(process.execPath, [cli, 'data', 'dsprites', '--out', values.npz]);
}

interface Measured {
  impl: 'untangle' | 'pytorch';
  model: string;
  seed: number;
  seconds: number;
  reconstruction: number;
  kl: number;
  activeUnits: number;
  mig: number;
  /** PyTorch's runs: its codes scored by Untangle's MIG (`untangle metrics`), to keep the metrics apart from the training */
  migByUntangle?: number;
}

const betaOf = (model: string) => Number(model === 'beta-tcvae' ? values['tc-beta'] : values.beta);

function ours(model: string, seed: number): Measured {
  const dir = join(values.out, `untangle-${model}-seed${seed}`);
  const began = performance.now();
  run(process.execPath, [
    cli,
    'train',
    '--model',
    model,
    '--dataset',
    'dsprites',
    '--steps',
    values.steps,
    '--seed',
    String(seed),
    '--threads',
    values.threads,
    '--out',
    dir,
    '--overwrite',
    '--set',
    `batchSize=${values.batch}`,
    '--set',
    `learningRate=${values.lr}`,
    '--set',
    `beta=${betaOf(model)}`,
    '--set',
    'logEvery=10',
    '--set',
    `checkpointEvery=${values.steps}`,
  ]);
  const seconds = (performance.now() - began) / 1000;
  run(process.execPath, [cli, 'evaluate', dir, '--metrics', 'mig', '--codes', 'mean']);
  const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
  const { reconstruction, kl } = lastTenth(dir);
  return {
    impl: 'untangle',
    model,
    seed,
    seconds,
    reconstruction: reconstruction!,
    kl: kl!,
    activeUnits: metrics.posterior.activeUnits,
    mig: metrics.headline.mig,
  };
}

function peer(model: string, seed: number): Measured {
  const codes = join(values.out, `pytorch-${model}-seed${seed}-codes.npz`);
  const out = run(python, [
    join(root, 'bench', 'fidelity_peer.py'),
    '--npz',
    values.npz,
    '--model',
    model,
    '--beta',
    String(betaOf(model)),
    '--steps',
    values.steps,
    '--batch',
    values.batch,
    '--lr',
    values.lr,
    '--seed',
    String(seed),
    '--threads',
    values['peer-threads'],
    '--codes-out',
    codes,
  ]);
  const r = JSON.parse(out.trim().split('\n').pop()!);
  const scored = JSON.parse(
    run(process.execPath, [
      cli,
      'metrics',
      '--codes',
      `${codes}:mean`,
      '--factors',
      `${codes}:factors`,
      '--metrics',
      'mig',
      '--json',
    ]),
  );
  return {
    impl: 'pytorch',
    model,
    seed,
    seconds: r.seconds,
    reconstruction: r.reconstruction,
    kl: r.kl,
    activeUnits: r.active_units,
    mig: r.mig,
    migByUntangle: scored.headline.mig,
  };
}

const TRAINING_KEYS = ['steps', 'batch', 'lr', 'beta', 'tc-beta', 'threads', 'peer-threads'] as const;

/** The runs of an earlier --json with the same training settings (so a comparison can grow by seeds). */
function reused(file: string | undefined): Measured[] {
  if (!file) return [];
  if (!existsSync(file)) fail(`--reuse ${file}: no such file`);
  let earlier: { settings: Record<string, string>; measured: Measured[] };
  try {
    earlier = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    fail(`--reuse ${file}: not JSON written by --json`);
  }
  if (!earlier.settings || !Array.isArray(earlier.measured))
    fail(`--reuse ${file}: expected the { settings, measured } that --json writes`);
  for (const key of TRAINING_KEYS)
    if (Number(earlier.settings[key]) !== Number(values[key]))
      fail(`--reuse ${file}: its --${key} is ${earlier.settings[key]}, this run's ${values[key]}`);
  return earlier.measured;
}

mkdirSync(values.out, { recursive: true });
const earlier = reused(values.reuse);
const measured: Measured[] = [];
for (const model of values.models.split(',')) {
  for (let seed = 0; seed < Number(values.seeds); seed++) {
    // alternate which goes first, so neither always meets the same moment of the machine's load
    const pair = seed % 2 === 0 ? [ours, peer] : [peer, ours];
    for (const impl of pair) {
      const name = impl === ours ? 'untangle' : 'pytorch';
      const m =
        earlier.find((e) => e.impl === name && e.model === model && e.seed === seed) ?? impl(model, seed);
      measured.push(m);
      process.stdout.write(`${JSON.stringify(m)}\n`);
    }
  }
}

const comparison = values.models.split(',').map((model) => {
  const of = (impl: string, key: keyof Measured) =>
    spreadOf(measured.filter((m) => m.impl === impl && m.model === model).map((m) => m[key] as number));
  const relative = (key: keyof Measured) => {
    const [u, p] = [of('untangle', key).mean, of('pytorch', key).mean];
    return Math.abs(u - p) / Math.abs(p);
  };
  const [migU, migP] = [of('untangle', 'mig'), of('pytorch', 'mig')];
  const active = [of('untangle', 'activeUnits').values, of('pytorch', 'activeUnits').values];
  return {
    model,
    beta: betaOf(model),
    reconstruction: {
      untangle: of('untangle', 'reconstruction').mean,
      pytorch: of('pytorch', 'reconstruction').mean,
      relative: relative('reconstruction'),
    },
    kl: { untangle: of('untangle', 'kl').mean, pytorch: of('pytorch', 'kl').mean, relative: relative('kl') },
    activeUnits: { untangle: active[0], pytorch: active[1] },
    mig: { untangle: migU, pytorch: migP, spread: Math.max(migU.std, migP.std) },
    checks: {
      reconstructionWithin5: relative('reconstruction') <= 0.05,
      klWithin5: relative('kl') <= 0.05,
      sameActiveUnits: JSON.stringify([...active[0]].sort()) === JSON.stringify([...active[1]].sort()),
      migWithinSpread: Math.abs(migU.mean - migP.mean) <= Math.max(migU.std, migP.std),
    },
    seconds: { untangle: of('untangle', 'seconds').mean, pytorch: of('pytorch', 'seconds').mean },
  };
});

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const yes = (b: boolean) => (b ? 'yes' : 'NO');
const lines = [
  `fidelity:peer — ${values.steps} steps, batch ${values.batch}, Adam ${values.lr}, ${values.seeds} seeds, threads: Untangle ${values.threads}, PyTorch ${values['peer-threads']}`,
  '| model | reconstruction untangle / pytorch (Δ) | KL untangle / pytorch (Δ) | active units | MIG untangle / pytorch (seed sd) | seconds (untangle: whole train command; pytorch: training loop) |',
  '|---|---|---|---|---|---|',
  ...comparison.map(
    (c) =>
      `| ${c.model} β=${c.beta} | ${c.reconstruction.untangle.toFixed(2)} / ${c.reconstruction.pytorch.toFixed(2)} (${pct(c.reconstruction.relative)}, ≤5%: ${yes(c.checks.reconstructionWithin5)}) | ${c.kl.untangle.toFixed(2)} / ${c.kl.pytorch.toFixed(2)} (${pct(c.kl.relative)}, ≤5%: ${yes(c.checks.klWithin5)}) | ${c.activeUnits.untangle.join(',')} / ${c.activeUnits.pytorch.join(',')} (same: ${yes(c.checks.sameActiveUnits)}) | ${c.mig.untangle.mean.toFixed(3)} ± ${c.mig.untangle.std.toFixed(3)} / ${c.mig.pytorch.mean.toFixed(3)} ± ${c.mig.pytorch.std.toFixed(3)} (within spread: ${yes(c.checks.migWithinSpread)}) | ${c.seconds.untangle.toFixed(0)} / ${c.seconds.pytorch.toFixed(0)} |`,
  ),
];
const crossScored = measured.filter((m) => m.migByUntangle != null);
if (crossScored.length > 0) {
  const gap = Math.max(...crossScored.map((m) => Math.abs(m.mig - m.migByUntangle!)));
  lines.push(
    `PyTorch's codes scored by Untangle's MIG: ${crossScored.length} runs, largest difference from its own MIG ${gap.toExponential(1)}`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
if (values.json)
  writeFileSync(values.json, `${JSON.stringify({ settings: values, measured, comparison }, null, 2)}\n`);
