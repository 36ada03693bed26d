import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join } from 'node:path';
import { describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { useBackend } from '../src/engine/backend.ts';
import { ROOT, tempDir } from './helpers/cli.ts';
import { CONV_CASES, convCaseLabel, convCaseOutputs, relativeError } from './helpers/conv-cases.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium)`;
// WebGPU in headless Chromium without a GPU: Dawn on SwiftShader (its Vulkan CPU driver)
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];
// split-K filter gradient; wide channels across tiles at stride 2; stride 3
const PICKED = [1, 7, 10];

interface PageResult {
  error?: string;
  backend: string;
  adapter: string;
  shaders: string[];
  outputs: Record<string, number[]>[];
}

/** Bundles test/fixtures/webgpu-page (which imports web/src/webgpu.ts) with Vite into a temp folder. */
async function buildPage(): Promise<string> {
  const outDir = tempDir('webgpu-page');
  const { build } = await import('vite');
  await build({
    root: join(ROOT, 'test', 'fixtures', 'webgpu-page'),
    configFile: false,
    base: './',
    logLevel: 'error',
    publicDir: false,
    build: { outDir, emptyOutDir: true, reportCompressedSize: false, chunkSizeWarningLimit: 8192 },
  });
  return outDir;
}

describe('the WGSL kernels in Chromium (WebGPU on SwiftShader)', { skip }, () => {
  it('the explorer starts on webgpu with our kernels, which match the cpu backend in the page to 1e-4; wasm without an adapter or when asked', async () => {
    await useBackend('cpu');
    const expected: Record<string, Float32Array>[] = [];
    for (const i of PICKED) expected.push(await convCaseOutputs(CONV_CASES[i], 100 + i));
    const dir = await buildPage();
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/+/, '') || 'index.html';
      const file = join(dir, path);
      if (!existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      const ext = extname(path);
      const type = ext === '.html' ? 'text/html' : ext === '.wasm' ? 'application/wasm' : 'text/javascript';
      res.writeHead(200, { 'content-type': type }).end(readFileSync(file));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const launch = (flags: string[]) =>
      chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-background-networking', ...flags],
      });
    const port = (server.address() as { port: number }).port;
    const open = async (browser: Awaited<ReturnType<typeof launch>>, query: string) => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      // localhost is a secure context, which navigator.gpu needs
      await page.goto(`http://127.0.0.1:${port}/index.html?${query}`);
      await page.waitForFunction(() => 'result' in window, undefined, { timeout: 120_000 });
      const result = (await page.evaluate(
        () => (window as unknown as { result: PageResult }).result,
      )) as PageResult;
      assert.deepEqual(errors, []);
      await page.close();
      return result;
    };
    const browser = await launch(WEBGPU_FLAGS);
    const noGpu = await launch(['--disable-gpu']);
    try {
      // no adapter (WebGPU off): the explorer falls back to wasm; ?backend= forces one where WebGPU is on
      const fallback = await open(noGpu, 'probe');
      assert.equal(fallback.adapter, 'none', 'the browser without the WebGPU flags offers no adapter');
      assert.equal(fallback.backend, 'wasm');
      assert.equal((await open(browser, 'probe&backend=wasm')).backend, 'wasm');
      const result = await open(browser, `cases=${PICKED.join(',')}`);
      assert.equal(result.error, undefined, result.error);
      assert.equal(result.backend, 'webgpu');
      assert.match(result.adapter, /swiftshader/i, 'the page ran on SwiftShader');
      for (const key of ['conv2d', 'conv2dBackpropInput', 'conv2dBackpropFilter'])
        assert.ok(
          result.shaders.includes(`untangleGemm_${key}`),
          `no untangleGemm_${key} in ${result.shaders}`,
        );
      assert.ok(
        result.shaders.some((s) => s.startsWith('untangleReduceSplits')),
        'split-K never ran',
      );
      PICKED.forEach((caseIndex, j) => {
        for (const [key, want] of Object.entries(expected[j])) {
          const err = relativeError(result.outputs[j][key], want);
          assert.ok(err <= 1e-4, `${convCaseLabel(CONV_CASES[caseIndex])} ${key}: relative error ${err}`);
        }
      });
    } finally {
      await Promise.all([browser.close(), noGpu.close()]);
      server.close();
    }
  });
});
