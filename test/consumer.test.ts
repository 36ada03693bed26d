import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { ROOT, tempDir } from './helpers/cli.ts';

/**
 * The package as a user gets it: `npm pack` (which builds dist/ through `prepare`), the tarball unpacked
 * into a project's node_modules as npm lays it out, and the package's dependencies beside it (linked
 * from this checkout's node_modules: the test runs offline, and npm's cache holds no registry metadata).
 * The project has no TypeScript toolchain and none of the dev dependencies.
 */
function installPackedTarball(): string {
  const dir = tempDir('consumer');
  execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT, stdio: 'pipe' });
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack wrote a tarball');
  const app = join(dir, 'app');
  const modules = join(app, 'node_modules');
  mkdirSync(modules, { recursive: true });
  execFileSync('tar', ['-xzf', join(dir, tarball), '-C', modules]);
  renameSync(join(modules, 'package'), join(modules, 'untangle'));
  const manifest = JSON.parse(readFileSync(join(modules, 'untangle', 'package.json'), 'utf8'));
  const deps = [...Object.keys(manifest.dependencies), ...Object.keys(manifest.optionalDependencies ?? {})];
  for (const name of [...deps, '@types/node']) {
    const from = join(ROOT, 'node_modules', name);
    if (!existsSync(from)) continue; // an optional dependency this platform skipped
    mkdirSync(dirname(join(modules, name)), { recursive: true });
    symlinkSync(from, join(modules, name), 'dir');
  }
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  return app;
}

const CONSUMER_JS = `
import { createServer } from 'node:http';
import { join } from 'node:path';
import { decode, dsprites, encode, loadRun, metricNames, mig, Rng, sampleBatch, train } from 'untangle';
import * as browser from 'untangle/browser';
import { readFileSync } from 'node:fs';

const steps = [];
const run = await train(
  { model: 'beta-vae', dataset: 'dsprites', steps: 20, batchSize: 8, architecture: 'mlp', hidden: [32],
    latentDim: 4, logEvery: 5, checkpointEvery: 20, modelOptions: { beta: 2 } },
  { out: process.argv[2], onStep: (entry, step) => steps.push(step) },
);
const { factors, x } = sampleBatch(run.data, 600, new Rng(1));
// aborting stops after the current step, with a checkpoint there
const controller = new AbortController();
await train(
  { model: 'beta-vae', dataset: 'dsprites', steps: 20, batchSize: 8, architecture: 'mlp', hidden: [32], latentDim: 4 },
  { out: process.argv[2] + '-stopped', signal: controller.signal, onStep: (_, step) => step === 3 && controller.abort() },
);
const stoppedAt = JSON.parse(readFileSync(join(process.argv[2] + '-stopped', 'checkpoint', 'state.json'), 'utf8')).step;
const codes = encode(run, x);
const meanCodes = { data: codes.mean, shape: [codes.n, run.model.latentDim] };
const factorMatrix = { data: factors, shape: [600, 5] };
// shape and scale (3 and 6 values, no binning loss) as their own code: disentangled by construction
const two = Array.from({ length: 600 }, (_, i) => [factors[5 * i], factors[5 * i + 1]]);
const identity = mig(two, two, { numTrain: 600 });
const again = await loadRun(process.argv[2]);
let rejected = '';
try { mig(meanCodes, factorMatrix, { bins: -1 }); } catch (err) { rejected = err.name + ': ' + err.message; }
// the browser's way to a run: its decoder over HTTP, against the Node API's decode of the same codes
const server = createServer((req, res) => {
  try { res.end(readFileSync(join(process.argv[2], decodeURIComponent(new URL(req.url, 'http://x').pathname)))); }
  catch { res.statusCode = 404; res.end(); }
});
await new Promise((done) => server.listen(0, '127.0.0.1', done));
const decoder = await browser.loadRunDecoder(\`http://127.0.0.1:\${server.address().port}/\`);
const z = [[0, 0, 0, 0], [1.5, -1, 0.5, 2]];
const overHttp = await decoder.decode(Float32Array.from(z.flat()));
const inNode = decode(run, z);
const decodeGap = Math.max(...overHttp.map((v, i) => Math.abs(v - inNode.data[i])));
server.close();
const rows = Array.from({ length: 300 }, (_, i) => [i % 3, Math.floor(i / 3) % 5]);
const browserCheck = { mig: mig(rows, rows, { numTrain: 300 }).mig, images: Array.from(inNode.data) };
let internal = '';
try { await import('untangle/dist/metrics/mig.js'); } catch (err) { internal = err.code; }
console.log(JSON.stringify({
  steps, n: codes.n, dim: run.model.latentDim, logVarLength: codes.logVar.length,
  mig: mig(meanCodes, factorMatrix, { numTrain: 600 }).mig, identity: identity.mig,
  sameWeights: encode(again, x).mean.every((v, i) => v === codes.mean[i]),
  browserMig: browser.mig === mig, decodeGap, decodedShape: inNode.shape, browserCheck, stoppedAt, metrics: metricNames(), rejected, internal,
  version: JSON.parse(readFileSync(new URL(import.meta.resolve('untangle/package.json')))).version,
}));
`;

const CHROMIUM = '/usr/bin/chromium';

const BROWSER_PAGE = `<!doctype html><script type="module">
import '@tensorflow/tfjs-backend-cpu';
import { loadRunDecoder, mig } from 'untangle/browser';
const rows = Array.from({ length: 300 }, (_, i) => [i % 3, Math.floor(i / 3) % 5]);
const decoder = await loadRunDecoder(new URL('./run/', location.href).href);
const images = await decoder.decode(new Float32Array([0, 0, 0, 0, 1.5, -1, 0.5, 2]));
window.result = { mig: mig(rows, rows, { numTrain: 300 }).mig, images: Array.from(images) };
</script>`;

/** Bundles a page and examples/browser-decode.html with Vite, serves them with the run, runs both in Chromium. */
async function runInChromium(app: string, fromNode: { browserCheck: { mig: number; images: number[] } }) {
  writeFileSync(join(app, 'page.html'), BROWSER_PAGE);
  writeFileSync(
    join(app, 'browser-decode.html'),
    readFileSync(join(ROOT, 'examples', 'browser-decode.html')),
  );
  const script = `import { build } from 'vite';
await build({ root: process.cwd(), configFile: false, logLevel: 'error', base: './',
  build: { outDir: 'web', target: 'es2022', reportCompressedSize: false, chunkSizeWarningLimit: 8192,
    rollupOptions: { input: ['page.html', 'browser-decode.html'] } } });`;
  writeFileSync(join(app, 'bundle.mjs'), script);
  const bundled = spawnSync(process.execPath, ['bundle.mjs'], { cwd: app, encoding: 'utf8' });
  assert.equal(bundled.status, 0, `vite build: ${bundled.stderr}`);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    const file = path.startsWith('run/') ? join(app, path) : join(app, 'web', path);
    try {
      const body = readFileSync(file);
      const type = file.endsWith('.html')
        ? 'text/html'
        : file.endsWith('.js')
          ? 'text/javascript'
          : 'application/octet-stream';
      res.writeHead(200, { 'content-type': type }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`http://127.0.0.1:${port}/page.html`);
    await page.waitForFunction(() => 'result' in window, undefined, { timeout: 60_000 });
    const inBrowser = (await page.evaluate(() => (window as unknown as { result: unknown }).result)) as {
      mig: number;
      images: number[];
    };
    assert.deepEqual(errors, []);
    assert.equal(inBrowser.mig, fromNode.browserCheck.mig, 'mig in Chromium equals mig in Node');
    const gap = Math.max(...inBrowser.images.map((v, i) => Math.abs(v - fromNode.browserCheck.images[i])));
    assert.ok(gap < 1e-4, `decoded in Chromium (cpu backend) vs Node (wasm): largest difference ${gap}`);
    await page.goto(`http://127.0.0.1:${port}/browser-decode.html?run=./run`);
    await page.waitForFunction(() => document.title === 'decoded', undefined, { timeout: 60_000 });
    assert.deepEqual(errors, [], 'the example page runs without errors');
  } finally {
    await browser.close();
    server.close();
  }
}

const CONSUMER_TS = `
import { type BetaVaeOptions, decode, type Encoded, type MigResult, mig, type Run, train, type TrainConfigInput } from 'untangle';
import { dsprites, type GroundTruthData } from 'untangle/browser';

const options: BetaVaeOptions = { beta: 4 };
const config: TrainConfigInput = { model: 'beta-vae', steps: 20, modelOptions: options };
export async function score(out: string): Promise<number> {
  const run: Run = await train(config, { out, signal: new AbortController().signal });
  const data: GroundTruthData = dsprites({ variant: 'color' });
  const images = decode(run, [[0, 0, 0, 0]]);
  const frames: number = images.shape[0];
  const result: MigResult = mig([[1], [2]], [[1], [2]], { bins: 10, seed: 3 });
  const unused: Encoded | undefined = undefined;
  return result.mig + frames + data.factorSizes.length + (unused ? 1 : 0);
}
`;

describe('the packed package in a project without TypeScript', () => {
  it('installs from npm pack, trains 20 steps, encodes and scores with mig from plain ESM, and type-checks', async () => {
    const app = installPackedTarball();
    assert.ok(!existsSync(join(app, 'node_modules', 'typescript')), 'no TypeScript in the project');
    writeFileSync(join(app, 'consumer.mjs'), CONSUMER_JS);
    const result = spawnSync(process.execPath, ['consumer.mjs', join(app, 'run')], {
      cwd: app,
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, result.stderr);
    const got = JSON.parse(result.stdout.trim().split('\n').at(-1)!);
    assert.deepEqual(
      got.steps,
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.deepEqual([got.n, got.dim, got.logVarLength], [600, 4, 2400]);
    assert.equal(got.stoppedAt, 3, 'an aborted train() checkpoints the step it stopped after');
    assert.ok(got.mig >= 0 && got.mig <= 1, `mig ${got.mig} in [0, 1]`);
    assert.ok(got.identity > 0.9, `mig of two factors as their own code ${got.identity} > 0.9`);
    assert.ok(got.sameWeights, 'loadRun gives the weights train returned');
    assert.ok(got.browserMig, 'untangle and untangle/browser export the same mig');
    assert.deepEqual(got.decodedShape, [2, 64, 64, 1]);
    assert.ok(
      got.decodeGap < 1e-6,
      `loadRunDecoder over HTTP vs decode: largest difference ${got.decodeGap}`,
    );
    assert.ok(got.metrics.includes('mig') && got.metrics.includes('dci'));
    assert.match(got.rejected, /^InputError: .*bins/);
    assert.equal(got.internal, 'ERR_PACKAGE_PATH_NOT_EXPORTED');
    assert.equal(got.version, JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);

    // the worked examples of docs/library.md, run against the installed package
    for (const file of ['train-and-score.mjs', 'score-codes.mjs', 'pytorch-codes.py']) {
      writeFileSync(join(app, file), readFileSync(join(ROOT, 'examples', file)));
    }
    const trained = spawnSync(process.execPath, ['train-and-score.mjs', join(app, 'example-run'), '5'], {
      cwd: app,
      encoding: 'utf8',
    });
    assert.equal(trained.status, 0, trained.stderr);
    const scores = JSON.parse(trained.stdout.trim().split('\n').at(-1)!);
    for (const value of Object.values(scores) as number[])
      assert.ok(value >= 0 && value <= 1, `score ${value}`);
    const torch = spawnSync('/usr/bin/python3', ['pytorch-codes.py', app], { cwd: app, encoding: 'utf8' });
    if (torch.status === 0) {
      const scored = spawnSync(process.execPath, ['score-codes.mjs', 'codes.npy', 'factors.npy'], {
        cwd: app,
        encoding: 'utf8',
      });
      assert.equal(scored.status, 0, scored.stderr);
      const { mig: m, sap: s } = JSON.parse(scored.stdout);
      assert.ok(m >= 0 && m <= 1 && s >= 0 && s <= 1, scored.stdout);
    } else
      assert.match(torch.stderr, /No module named '(torch|numpy)'/, 'only a missing torch/numpy skips it');

    // the CLI of an installed package runs the build, not the sources
    const cli = spawnSync(
      process.execPath,
      [join(app, 'node_modules', 'untangle', 'bin', 'untangle.js'), 'decode', '--help'],
      {
        cwd: app,
        encoding: 'utf8',
      },
    );
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /Usage: untangle decode/);

    // a TypeScript user's view: the shipped .d.ts checked with the compiler of this checkout
    writeFileSync(join(app, 'consumer.ts'), CONSUMER_TS);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          // as in this repo: tfjs' own .d.ts files do not pass a strict check of TypeScript 7
          skipLibCheck: true,
          types: ['node'],
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(tsc.status, 0, `tsc --noEmit:\n${tsc.stdout}${tsc.stderr}`);
    // and the same compiler rejects a misuse of the types
    writeFileSync(
      join(app, 'consumer.ts'),
      `import { mig } from 'untangle';\nmig([[1]], [[1]], { bins: 'ten' });\n`,
    );
    const bad = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app],
      {
        encoding: 'utf8',
      },
    );
    assert.notEqual(bad.status, 0, 'a string for bins does not type-check');
    assert.match(
      bad.stdout,
      /consumer\.ts\(2,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/,
    );

    // the browser entry bundled by Vite and run in Chromium: a metric and a decode, against Node's
    if (existsSync(CHROMIUM)) await runInChromium(app, got);
  });
});
