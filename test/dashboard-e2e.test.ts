import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { type Browser, chromium, type Page } from 'playwright-core';
import { useBackend } from '../src/engine/backend.ts';
import { categoryCosts } from '../src/models/decoder-output.ts';
import { continuousRanges } from '../src/models/latent-layout.ts';
import { resolveTrainConfig } from '../src/run/config.ts';
import { loadRun, saveRunConfig } from '../src/run/load-run.ts';
import type { SamplesResponse } from '../src/server/api-types.ts';
import { buildSession } from '../src/train/session.ts';
import { train } from '../src/train/trainer.ts';
import { ROOT, tempDir, untangle, untangleAsync } from './helpers/cli.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-output', 'dashboard');
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium)`;

/** Starts `untangle serve RUNS --port 0` and resolves with the URL it prints. */
function startServe(runs: string): Promise<{ child: ChildProcess; url: string }> {
  const child = untangleAsync(['serve', runs, '--port', '0']);
  return new Promise((done, fail) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`serve printed no URL in 120 s: ${out}${err}`)), 120_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk;
      const url = out.match(/untangle dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/)?.[1];
      if (url) {
        clearTimeout(timer);
        done({ child, url });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk;
    });
    child.on('exit', (code) => fail(new Error(`serve exited with ${code}: ${err}`)));
  });
}

interface Canvas {
  /** the red channel of every pixel, 0..255 */
  red: number[];
  renders: number;
  code: number[];
  backend: string;
}

/** Pixels of sample image i of a /api/run/samples response, [h·w·c]. */
function samplePixels(samples: SamplesResponse, i: number): Float32Array {
  const bytes = Buffer.from(samples.data, 'base64');
  const [, h, w, c] = samples.shape;
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return all.slice(i * h * w * c, (i + 1) * h * w * c);
}

async function readCanvas(page: Page): Promise<Canvas> {
  return page.evaluate(() => {
    const canvas = document.querySelector('canvas.decoded') as HTMLCanvasElement;
    const rgba = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    return {
      red: Array.from(rgba.filter((_, i) => i % 4 === 0)),
      renders: Number(canvas.dataset.renders),
      code: JSON.parse(canvas.dataset.code ?? '[]') as number[],
      backend: canvas.dataset.backend ?? '',
    };
  });
}

/** Waits until the decoded canvas has been drawn more than `count` times. */
async function rendersPast(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    (n) => Number(document.querySelector('canvas.decoded')?.getAttribute('data-renders')) > n,
    count,
    { timeout: 30_000 },
  );
}

describe('dashboard in Chromium', { skip }, () => {
  let runs: string;
  let serve: { child: ChildProcess; url: string };
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    runs = tempDir('dashboard');
    const trained = untangle([
      'train',
      '--model',
      'beta-vae',
      '--dataset',
      'dsprites',
      '--steps',
      '3',
      '--seed',
      '3',
      '--threads',
      '1',
      '--set',
      'batchSize=8',
      '--set',
      'logEvery=1',
      '--out',
      join(runs, 'tiny'),
    ]);
    assert.equal(trained.status, 0, trained.stderr);
    // a second run to compare against, and a sweep whose table links the first
    cpSync(join(runs, 'tiny'), join(runs, 'twin'), { recursive: true });
    const twinConfig = JSON.parse(readFileSync(join(runs, 'twin', 'config.json'), 'utf8'));
    writeFileSync(
      join(runs, 'twin', 'config.json'),
      JSON.stringify({ ...twinConfig, modelOptions: { beta: 8 } }),
    );
    mkdirSync(join(runs, 'sweep-a'));
    writeFileSync(
      join(runs, 'sweep-a', 'results.json'),
      JSON.stringify({
        rows: [
          {
            id: 'tiny',
            model: 'beta-vae',
            seed: 3,
            hyperparameters: { beta: 4 },
            headline: { mig: 0.1 },
            runDir: '../tiny',
          },
        ],
      }),
    );
    // tiny MLP runs trained in this process: a CascadeVAE (categories by reconstruction) and the
    // autoencoder (a deterministic code); and the af49a90 FHVAE run (a sequence model)
    await useBackend('wasm');
    // (seed 5: the CascadeVAE's shown images fall into different categories)
    for (const [id, model, seed] of [
      ['cascade', 'cascade-vae', 5],
      ['ae', 'autoencoder', 3],
    ] as const) {
      const config = resolveTrainConfig({
        model,
        architecture: 'mlp',
        hidden: [16],
        latentDim: 3,
        batchSize: 8,
        steps: 3,
        logEvery: 1,
        seed,
      });
      mkdirSync(join(runs, id));
      await saveRunConfig(join(runs, id), config);
      await train(buildSession(config), join(runs, id));
    }
    cpSync(join(ROOT, 'test', 'fixtures', 'af49a90', 'fhvae-run'), join(runs, 'speech'), { recursive: true });
    mkdirSync(SHOTS, { recursive: true });
    serve = await startServe(runs);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
  });

  after(async () => {
    await browser?.close();
    serve?.child.kill();
  });

  it('lists the runs', async () => {
    await page.goto(serve.url);
    await page.waitForSelector('tr[data-run="tiny"]');
    const rows = await page
      .locator('table.runs tbody tr')
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run')));
    assert.deepEqual([...rows].sort(), ['ae', 'cascade', 'speech', 'tiny', 'twin']);
    const text = (await page.locator('tr[data-run="tiny"]').textContent()) ?? '';
    assert.match(text, /beta-vae/);
    assert.match(text, /3 \/ 3/, 'last step / steps');
    await page.screenshot({ path: join(SHOTS, 'runs.png'), fullPage: true });
  });

  it("decodes with the run's own decoder in the browser, and a slider changes the image", async (t) => {
    await page.goto(`${serve.url}#/run/tiny`);
    await page.waitForSelector('section.explorer[data-ready="true"]', { timeout: 60_000 });
    const start = await readCanvas(page);
    assert.ok(['webgpu', 'wasm', 'webgl', 'cpu'].includes(start.backend), `backend ${start.backend}`);
    assert.deepEqual(start.code, new Array(10).fill(0), 'the explorer starts at z = 0');

    // the same code through the same checkpoint in Node: the browser must draw the same image
    const { model } = await loadRun(join(runs, 'tiny'));
    const decodeInNode = (code: number[]) =>
      tf.tidy(() => Array.from(model.decode(tf.tensor2d(code, [1, code.length])).dataSync()));
    const worst = (canvas: Canvas) => {
      const expected = decodeInNode(canvas.code);
      return Math.max(...canvas.red.map((v, i) => Math.abs(v - Math.round(255 * expected[i]))));
    };
    assert.ok(worst(start) <= 2, `browser and Node decodings differ by ${worst(start)}/255`);

    // drag the slider of the dim with the most KL to its end, as a user would with the keyboard
    const slider = page.locator('input[type="range"]').first();
    const dim = Number(await slider.getAttribute('data-dim'));
    await slider.focus();
    await slider.press('End');
    await rendersPast(page, start.renders);
    const moved = await readCanvas(page);
    assert.equal(moved.code[dim], 4, `z${dim} is at the slider's end`);
    const changed = moved.red.filter((v, i) => v !== start.red[i]).length;
    assert.ok(changed > 64 * 64 * 0.05, `moving z${dim} changed only ${changed} of ${64 * 64} pixels`);
    assert.ok(worst(moved) <= 2, `after the move, browser and Node differ by ${worst(moved)}/255`);
    t.diagnostic(
      `tfjs ${start.backend}: z${dim} 0 -> 4 changed ${changed} pixels; Node gap ${worst(moved)}/255`,
    );
    await page.screenshot({ path: join(SHOTS, 'explorer-slider.png') });
  });

  it("encodes a dataset image into the sliders with the run's encoder", async (t) => {
    const before = await readCanvas(page);
    await page.locator('button.sample[data-index="5"]').click();
    await rendersPast(page, before.renders);
    const encoded = await readCanvas(page);
    const response = await fetch(`${serve.url}api/run/samples?id=tiny&n=16`);
    const samples = (await response.json()) as SamplesResponse;
    const bytes = Buffer.from(samples.data, 'base64');
    const image = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).slice(
      5 * 4096,
      6 * 4096,
    );
    const { model } = await loadRun(join(runs, 'tiny'));
    const mean = tf.tidy(() => Array.from(model.encode(tf.tensor4d(image, [1, 64, 64, 1])).mean.dataSync()));
    const gap = Math.max(...mean.map((m, d) => Math.abs(m - encoded.code[d])));
    assert.ok(gap < 1e-3, `browser code ${encoded.code} vs Node mean ${mean}: gap ${gap}`);
    t.diagnostic(
      `encoder: largest gap between the browser's code and Node's posterior mean ${gap.toExponential(1)}`,
    );
    const values = await page.locator('label.slider .value').allInnerTexts();
    const order = await page
      .locator('input[type="range"]')
      .evaluateAll((inputs) => inputs.map((input) => Number(input.getAttribute('data-dim'))));
    assert.deepEqual(
      values,
      order.map((d) => mean[d].toFixed(2)),
      'each slider shows its dim of the code',
    );
    await page.screenshot({ path: join(SHOTS, 'explorer-encoded.png') });
    await page.screenshot({ path: join(SHOTS, 'run.png'), fullPage: true });
  });

  it('CascadeVAE: an encoded image gets the category whose decoding reconstructs it best, as in Node', async (t) => {
    await page.goto(`${serve.url}#/run/cascade`);
    await page.waitForSelector('section.explorer[data-ready="true"]', { timeout: 60_000 });
    const samples = (await (
      await fetch(`${serve.url}api/run/samples?id=cascade&n=16`)
    ).json()) as SamplesResponse;
    const { model } = await loadRun(join(runs, 'cascade'));
    const [n, h, w, c] = samples.shape;
    // every shown image's category costs by the rule, in Node
    const costs = Array.from({ length: n }, (_, i) =>
      tf.tidy(() => {
        const x = samplePixels(samples, i);
        const mean = model.encode(tf.tensor4d(x, [1, h, w, c])).mean;
        const decode = (input: tf.Tensor2D) => model.nets.decoder.predict(input) as tf.Tensor;
        return Array.from(categoryCosts('bernoulli', decode, mean, tf.tensor(x), 3).dataSync());
      }),
    );
    const best = costs.map((row) => row.indexOf(Math.min(...row)));
    // one image of each category that occurs: a browser stuck at one category fails
    const picked = [...new Set(best)].map((k) => best.indexOf(k));
    assert.ok(picked.length >= 2, `the images' categories ${best.join('')} must differ for this check`);
    const found: string[] = [];
    for (const i of picked) {
      const before = await readCanvas(page);
      await page.locator(`button.sample[data-index="${i}"]`).click();
      await rendersPast(page, before.renders);
      const shown = Number(await page.locator('label.slider select').inputValue());
      assert.equal(shown, best[i], `image ${i}: browser category ${shown}, Node's costs ${costs[i]}`);
      const code = (await readCanvas(page)).code;
      assert.deepEqual(
        code.slice(3),
        [0, 1, 2].map((k) => (k === best[i] ? 1 : 0)),
        'the decoder gets its one-hot',
      );
      const margin = Math.min(...costs[i].filter((_, k) => k !== best[i])) - costs[i][best[i]];
      found.push(`image ${i}: category ${best[i]} by ${margin.toFixed(3)} nats`);
    }
    t.diagnostic(found.join('; '));
    await page.screenshot({ path: join(SHOTS, 'explorer-cascade.png') });
  });

  it("the autoencoder's sliders span its images' codes (mean ± 4 std), not ±4", async () => {
    await page.goto(`${serve.url}#/run/ae`);
    await page.waitForSelector('section.explorer[data-ready="true"]', { timeout: 60_000 });
    const samples = (await (await fetch(`${serve.url}api/run/samples?id=ae&n=16`)).json()) as SamplesResponse;
    const { model } = await loadRun(join(runs, 'ae'));
    const [n, h, w, c] = samples.shape;
    const codes = Array.from({ length: n }, (_, i) =>
      tf.tidy(() =>
        Array.from(model.encode(tf.tensor4d(samplePixels(samples, i), [1, h, w, c])).mean.dataSync()),
      ),
    );
    const expected = continuousRanges(
      { model: 'autoencoder', continuous: 3, code: 'deterministic', discrete: [], decoder: 'bernoulli' },
      codes,
    );
    await page.waitForFunction(
      () => document.querySelector('input[type="range"]')?.getAttribute('min') !== '-4',
    );
    const shown = await page
      .locator('input[type="range"]')
      .evaluateAll((inputs) =>
        inputs.map((input) => ['data-dim', 'min', 'max'].map((a) => Number(input.getAttribute(a)))),
      );
    assert.equal(shown.length, 3);
    for (const [d, min, max] of shown) {
      const [low, high] = expected[d];
      const tolerance = 1e-3 * (high - low);
      assert.ok(
        Math.abs(min - low) < tolerance && Math.abs(max - high) < tolerance,
        `z${d}: [${min}, ${max}] vs [${low}, ${high}]`,
      );
    }
  });

  it('an FHVAE run shows its latent groups (z1 per segment, z2 per sequence), not the image explorer', async () => {
    await page.goto(`${serve.url}#/run/speech`);
    await page.waitForSelector('section.sequence-latents li[data-group="z2"]');
    const groups = await page.locator('section.sequence-latents li').allInnerTexts();
    assert.deepEqual(groups, [
      'z1: 2 dims, one per segment, prior mean 0, variance 1',
      "z2: 2 dims, one per sequence, prior mean the sequence's table row (μ2), variance 0.25",
    ]);
    assert.equal(await page.locator('section.explorer').count(), 0);
  });

  it('compares two runs and shows the sweep table', async () => {
    await page.goto(`${serve.url}#/compare?a=tiny&b=twin`);
    await page.waitForSelector('table.compare tr.differs');
    const differs = await page.locator('table.compare tr.differs').first().textContent();
    assert.match(differs ?? '', /modelOptions\.beta\s*4\s*8/);
    await page.screenshot({ path: join(SHOTS, 'compare.png'), fullPage: true });
    await page.goto(`${serve.url}#/sweep/sweep-a`);
    await page.waitForSelector('table.sweep a');
    assert.equal(await page.locator('table.sweep a').first().getAttribute('href'), '#/run/tiny');
    assert.match((await page.locator('table.sweep thead').textContent()) ?? '', /beta[\s\S]*mig/);
    await page.screenshot({ path: join(SHOTS, 'sweep.png'), fullPage: true });
    assert.deepEqual(problems, [], 'no page errors, failed loads or CSP violations');
  });
});
