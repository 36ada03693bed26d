/**
 * `npm run bench:peer`: the yardstick training step in Untangle and in the PyTorch peer
 * (../shared/peers/torch_vae.py, Debian's PyTorch with OpenBLAS), alternated in one run so both see the
 * same machine load; prints every measurement (with the load average just before it) and the img/s ratio
 * of each round as JSON lines, then the median of those ratios.
 * Options: --rounds N (default 3), --threads T (default 2), --batch B (default 64), --peer PATH,
 * --device cpu|cuda (default cpu), --backend (ours; default wasm, webgpu with --device cuda),
 * --python PATH (default /usr/bin/python3, or $PYTHON), --cli CMD (how to run `untangle`, default tsx on
 * src/cli/main.ts; bench/gpu-device-run.sh passes its bundle).
 * `--device cuda` compares our webgpu backend on the machine's GPU with PyTorch CUDA; it stops with one
 * line where PyTorch sees no CUDA device or webgpu finds only SwiftShader (a CPU).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '30' },
    peer: { type: 'string', default: join(root, '..', 'shared', 'peers', 'torch_vae.py') },
    device: { type: 'string', default: 'cpu' },
    backend: { type: 'string' },
    python: { type: 'string', default: process.env.PYTHON ?? '/usr/bin/python3' },
    cli: { type: 'string' },
  },
});
const { python, device } = values;
if (device !== 'cpu' && device !== 'cuda') fail(`--device ${device}: expected cpu or cuda`);
const backend = values.backend ?? (device === 'cuda' ? 'webgpu' : 'wasm');
if (!existsSync(values.peer)) fail(`peer script not found at ${values.peer} (pass --peer PATH)`);
const probe = spawnSync(python, ['-c', 'import torch; print(torch.cuda.is_available())'], {
  encoding: 'utf8',
});
if (probe.status !== 0) fail('PyTorch is missing: apt-get install -y python3-torch libopenblas0-pthread');
if (device === 'cuda' && probe.stdout.trim() !== 'True') {
  fail(
    `--device cuda: PyTorch (${python}) sees no CUDA device (torch.cuda.is_available() is False); run this on an NVIDIA GPU machine with a CUDA build of PyTorch`,
  );
}
const cli = values.cli
  ? values.cli.split(' ')
  : [process.execPath, '--import', 'tsx', join(root, 'src/cli/main.ts')];

interface Result {
  impl: string;
  img_per_s: number;
  [key: string]: unknown;
}

function runJson(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Result {
  const load = loadavg().map((l) => Number(l.toFixed(2)));
  const out = spawnSync(command, args, { encoding: 'utf8', env, cwd: root, maxBuffer: 1 << 24 });
  if (out.status !== 0) fail(`${command} ${args.join(' ')} failed:\n${out.stderr}`);
  const line = out.stdout.trim().split('\n').pop() ?? '';
  return { ...(JSON.parse(line) as Result), load_before: load };
}

const ours: Result[] = [];
const peer: Result[] = [];
const ratios: number[] = [];
for (let round = 0; round < Number(values.rounds); round++) {
  const common = ['--threads', values.threads, '--batch', values.batch, '--steps', values.steps];
  const a = runJson(cli[0], [...cli.slice(1), 'bench', '--json', '--backend', backend, ...common]);
  if (device === 'cuda' && a.adapter_software === true) {
    fail(`--device cuda: webgpu found no GPU, only ${a.adapter} (a CPU); the ratio would not be a GPU's`);
  }
  const b = runJson(python, [values.peer, ...common, '--device', device], {
    ...process.env,
    OPENBLAS_NUM_THREADS: '1',
  });
  for (const [list, r] of [
    [ours, a],
    [peer, b],
  ] as const) {
    list.push(r);
    process.stdout.write(`${JSON.stringify({ round, ...r })}\n`);
  }
  ratios.push(a.img_per_s / b.img_per_s);
  process.stdout.write(`${JSON.stringify({ round, ratio: Number(ratios[round].toFixed(3)) })}\n`);
}
const middle = (xs: number[]) => {
  const sorted = [...xs].sort((x, y) => x - y);
  const k = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[k] : (sorted[k - 1] + sorted[k]) / 2;
};
const median = (rs: Result[]) => middle(rs.map((r) => r.img_per_s));
process.stdout.write(
  `${JSON.stringify({
    summary: 'untangle vs pytorch over alternated rounds: median of the per-round ratios, median img/s',
    ratio: Number(middle(ratios).toFixed(3)),
    untangle_img_per_s: median(ours),
    pytorch_img_per_s: median(peer),
    untangle_peak_rss_mib: Math.max(...ours.map((r) => Number(r.peak_rss_mib))),
    pytorch_peak_rss_mib: Math.max(...peer.map((r) => Number(r.peak_rss_mib))),
    threads: Number(values.threads),
    batch: Number(values.batch),
    device,
    backend,
  })}\n`,
);

function fail(message: string): never {
  process.stderr.write(`bench:peer: ${message}\n`);
  process.exit(2);
}
