/**
 * `npm run bench:intensity`: the arithmetic intensity (FLOP per byte of compulsory traffic: each operand
 * read once, the result written once, float32) of every GEMM kernel in the yardstick's training step
 * (conv64 with 4x4 kernels, 64x64x1, z = 10), at the batches given (default 64 and 256), as a markdown
 * table. Computed from the layer shapes, not measured.
 */
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { batch: { type: 'string', multiple: true } } });
const batches = (values.batch ?? ['64', '256']).map(Number);

interface Gemm {
  layer: string;
  kernel: string;
  /** multiply-adds per image */
  macs: number;
  /** floats read or written: [per image, fixed (weights)] */
  floats: [number, number];
}

const gemms: Gemm[] = [];
/** a 4x4 stride-2 same conv from h x h x ci to h/2 x h/2 x co: forward, input and filter gradients */
function conv(layer: string, h: number, ci: number, co: number, transposed: boolean) {
  const x = h * h * ci;
  const y = (h / 2) * (h / 2) * co;
  const w = 16 * ci * co;
  const macs = (h / 2) * (h / 2) * co * 16 * ci;
  // a transposed conv's forward is the input-gradient kernel, its input gradient the forward conv
  const [fwd, back] = transposed ? ['Conv2DBackpropInput', 'Conv2D'] : ['Conv2D', 'Conv2DBackpropInput'];
  gemms.push({ layer, kernel: fwd, macs, floats: [x + y, w] });
  gemms.push({ layer, kernel: `${back} (dx)`, macs, floats: [x + y, w] });
  gemms.push({ layer, kernel: 'Conv2DBackpropFilter (dw)', macs, floats: [x + y, w] });
}
function dense(layer: string, k: number, n: number, inputGradient = true) {
  const macs = k * n;
  gemms.push({ layer, kernel: '_FusedMatMul', macs, floats: [k + n, k * n] });
  if (inputGradient) gemms.push({ layer, kernel: 'BatchMatMul (dx)', macs, floats: [k + n, k * n] });
  gemms.push({ layer, kernel: 'BatchMatMul (dw)', macs, floats: [k + n, k * n] });
}
conv('e1 64²x1→32', 64, 1, 32, false);
conv('e2 32²x32→32', 32, 32, 32, false);
conv('e3 16²x32→64', 16, 32, 64, false);
conv('e4 8²x64→64', 8, 64, 64, false);
dense('e5 1024→256', 1024, 256);
dense('e6 256→20', 256, 20);
dense('d1 10→256', 10, 256, false);
dense('d2 256→1024', 256, 1024);
conv('d3 4²x64→8²x64', 8, 64, 64, true);
conv('d4 8²x64→16²x32', 16, 32, 64, true);
conv('d5 16²x32→32²x32', 32, 32, 32, true);
conv('d6 32²x32→64²x1', 64, 1, 32, true);
// e1's input gradient is never needed (x is data): tfjs does not compute it
const step = gemms.filter((g) => !(g.layer.startsWith('e1') && g.kernel.endsWith('(dx)')));

const intensity = (g: Gemm, b: number) => (2 * g.macs * b) / (4 * (g.floats[0] * b + g.floats[1]));
const header = `| layer | kernel | GFLOP at B=${batches.join(' / ')} | FLOP/byte at B=${batches.join(' / ')} |`;
const rows = step.map(
  (g) =>
    `| ${g.layer} | ${g.kernel} | ${batches.map((b) => ((2 * g.macs * b) / 1e9).toFixed(3)).join(' / ')} | ${batches.map((b) => intensity(g, b).toFixed(1)).join(' / ')} |`,
);
const total = (b: number) => step.reduce((s, g) => s + 2 * g.macs * b, 0);
const bytes = (b: number) => step.reduce((s, g) => s + 4 * (g.floats[0] * b + g.floats[1]), 0);
process.stdout.write(
  `${[header, `|---|---|---|---|`, ...rows].join('\n')}\n| all GEMMs of a step | | ${batches.map((b) => (total(b) / 1e9).toFixed(2)).join(' / ')} | ${batches.map((b) => (total(b) / bytes(b)).toFixed(1)).join(' / ')} |\n`,
);
