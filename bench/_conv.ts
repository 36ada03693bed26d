import { loadAddon, PREBUILT_ADDON } from '../src/engine/kernels/native/addon.ts';

const addon = loadAddon(process.argv[2] ?? PREBUILT_ADDON)!;
const B = 32;
// [h, ci, co] stride-2 4x4 same: encoder convs; outputs h/2
const layers = [
  [64, 1, 32],
  [32, 32, 32],
  [16, 32, 64],
  [8, 64, 64],
];
const rnd = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
for (const [h, ci, co] of layers) {
  const oh = h / 2;
  const g = Int32Array.from([B, h, h, ci, oh, oh, co, 4, 4, 2, 2, 1, 1]);
  const x = rnd(B * h * h * ci),
    w = rnd(16 * ci * co),
    y = new Float32Array(B * oh * oh * co),
    dy = rnd(B * oh * oh * co),
    dw = new Float32Array(16 * ci * co),
    dx = new Float32Array(B * h * h * ci);
  const flop = 2 * B * oh * oh * co * 16 * ci;
  const time = (f: () => void) => {
    f();
    let best = 1e9;
    for (let r = 0; r < 5; r++) {
      const c0 = process.cpuUsage();
      const reps = 5;
      for (let i = 0; i < reps; i++) f();
      const c = process.cpuUsage(c0);
      best = Math.min(best, (c.user + c.system) / 1000 / reps);
    }
    return best;
  };
  const f = time(() => addon.conv2d(x, w, null, 0, y, g, 1));
  const fg = time(() => addon.conv2dFilterGrad(x, dy, dw, g));
  const ig = time(() => addon.conv2dInputGrad(dy, w, dx, g));
  console.log(
    JSON.stringify({
      layer: `${h}x${h}x${ci}->${co}`,
      mflop: +(flop / 1e6).toFixed(1),
      fwd_ms: +f.toFixed(2),
      fwd_gflops: +(flop / f / 1e6).toFixed(1),
      filt_ms: +fg.toFixed(2),
      filt_gflops: +(flop / fg / 1e6).toFixed(1),
      inp_ms: +ig.toFixed(2),
      inp_gflops: +(flop / ig / 1e6).toFixed(1),
    }),
  );
}
