import assert from 'node:assert/strict';
import {
  appendFileSync,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createDSprites } from '../src/data/dsprites.ts';
import type {
  LogResponse,
  RunDetail,
  RunSummary,
  SamplesResponse,
  SweepDetail,
  SweepSummary,
} from '../src/server/api-types.ts';
import { MAX_KEPT_LINES } from '../src/server/log-summary.ts';
import { runLog } from '../src/server/runs.ts';
import { realRoot } from '../src/server/safe-path.ts';
import { createDashboardServer, exposureWarning, isLoopbackHost, listen } from '../src/server/server.ts';
import { ROOT, tempDir, untangle, untangleAsync } from './helpers/cli.ts';

const SECRET = 'TOP-SECRET-OUTSIDE-RUNS-DIR';

/** Hand-written log lines: the last one's terms are what the listing must show. */
const LOG = [1, 2, 3, 4, 5].map((step) => ({
  step,
  total: 100 / step,
  reconstruction: 90 / step,
  kl: 10 / step,
  klPerDim: [step, 2 * step, 0.5 * step],
  imgPerSec: 50,
}));

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value));
}

/** A RUNS_DIR with two runs, a sweep (aggregated) holding a third, an unaggregated sweep, and a secret beside it. */
function makeRunsDir(): { outside: string; runs: string } {
  const outside = tempDir('serve');
  const runs = join(outside, 'runs');
  writeFileSync(join(outside, 'secret.txt'), SECRET);

  const alpha = join(runs, 'alpha');
  mkdirSync(join(alpha, 'checkpoint', 'decoder'), { recursive: true });
  mkdirSync(join(alpha, 'checkpoint', 'encoder'), { recursive: true });
  writeJson(join(alpha, 'config.json'), {
    model: 'beta-vae',
    dataset: 'dsprites',
    steps: 5,
    seed: 7,
    latentDim: 3,
    modelOptions: { beta: 4 },
  });
  writeFileSync(join(alpha, 'log.jsonl'), `${LOG.map((l) => JSON.stringify(l)).join('\n')}\n`);
  writeJson(join(alpha, 'metrics.json'), {
    headline: { mig: 0.25, sap: 0.125 },
    codes: { mean: { mig: { result: { mig: 0.25 } } } },
  });
  writeFileSync(join(alpha, 'traversal.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
  writeJson(join(alpha, 'checkpoint', 'state.json'), { step: 5, rng: [1, 2, 3, 4], optimizers: [] });
  for (const net of ['decoder', 'encoder']) {
    writeJson(join(alpha, 'checkpoint', net, 'model.json'), { format: 'layers-model', net });
    writeFileSync(join(alpha, 'checkpoint', net, 'weights.bin'), Buffer.from(`${net}-weights`));
  }
  // links that point outside RUNS_DIR: never followed
  symlinkSync(join(outside, 'secret.txt'), join(alpha, 'leak.txt'));
  symlinkSync(outside, join(runs, 'escape'));

  const beta = join(runs, 'group', 'beta');
  mkdirSync(beta, { recursive: true });
  writeJson(join(beta, 'config.json'), {
    model: 'joint-vae',
    dataset: 'dsprites',
    steps: 10,
    seed: 1,
    latentDim: 4,
    modelOptions: { discreteSizes: [3, 2] },
  });
  // metrics.json without a headline: its numeric fields stand in
  writeJson(join(beta, 'metrics.json'), { mig: { score: 0.3, perFactor: [0.1, 0.2] }, units: 2, note: 'x' });

  const sweep = join(runs, 'sweep1');
  mkdirSync(join(sweep, 'runs', 'j1'), { recursive: true });
  mkdirSync(join(sweep, 'plots'), { recursive: true });
  writeFileSync(join(sweep, 'plots', 'mig.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeJson(join(sweep, 'runs', 'j1', 'config.json'), { model: 'beta-vae', dataset: 'dsprites', seed: 0 });
  writeJson(join(sweep, 'results.json'), {
    hyperparameters: ['beta'],
    metrics: ['mig'],
    rows: [
      {
        id: 'j1',
        model: 'beta-vae',
        dataset: 'dsprites',
        seed: 0,
        hyperparameters: { beta: 1 },
        headline: { mig: 0.1 },
        runDir: 'runs/j1',
      },
      { id: 'j2', model: 'beta-vae', seed: 1, hyperparameters: { beta: 4, seed: 9 }, headline: { mig: 0.2 } },
    ],
  });
  const pending = join(runs, 'sweep2');
  mkdirSync(join(pending, 'results'), { recursive: true });
  writeJson(join(pending, 'results', 'a.json'), { id: 'a', headline: { sap: 0.5 } });
  writeJson(join(pending, 'results', 'b.json'), { id: 'b', headline: { sap: 0.7 } });

  const images = join(runs, 'outside-data');
  mkdirSync(images);
  writeJson(join(images, 'config.json'), {
    model: 'beta-vae',
    dataset: 'images',
    dataPath: join(outside, 'secret.txt'),
    latentDim: 2,
  });
  return { outside, runs };
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  bytes: Buffer;
}

/** A request with the path sent exactly as written (fetch would normalise `..` and `%2e%2e` away). */
function send(
  port: number,
  path: string,
  method = 'GET',
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        done({ status: res.statusCode!, headers: res.headers, body: bytes.toString('utf8'), bytes });
      });
    });
    req.on('error', fail);
    req.end();
  });
}

describe('dashboard server', () => {
  let server: Server;
  let port: number;
  let dirs: { outside: string; runs: string };
  const get = async <T>(path: string): Promise<T> => {
    const reply = await send(port, path);
    assert.equal(reply.status, 200, `${path}: ${reply.body}`);
    assert.match(String(reply.headers['content-type']), /application\/json/);
    return JSON.parse(reply.body) as T;
  };

  before(async () => {
    dirs = makeRunsDir();
    server = createDashboardServer({ runsDir: dirs.runs, webDist: null });
    await listen(server, 0, '127.0.0.1');
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('lists every run with its last logged losses and headline metrics', async () => {
    const { runs } = await get<{ runs: RunSummary[] }>('/api/runs');
    assert.deepEqual(
      runs.map((r) => r.id),
      ['alpha', 'group/beta', 'outside-data', 'sweep1/runs/j1'],
    );
    const alpha = runs.find((r) => r.id === 'alpha')!;
    assert.equal(alpha.model, 'beta-vae');
    assert.equal(alpha.dataset, 'dsprites');
    assert.equal(alpha.lastStep, 5);
    assert.deepEqual(alpha.lastLosses, { total: 20, reconstruction: 18, kl: 2, imgPerSec: 50 });
    assert.deepEqual(alpha.headline, { mig: 0.25, sap: 0.125 });
    assert.equal(alpha.hasCheckpoint, true);
    assert.equal(alpha.sweep, null);
    const beta = runs.find((r) => r.id === 'group/beta')!;
    assert.equal(beta.lastStep, null, 'no log yet');
    assert.deepEqual(beta.headline, { 'mig.score': 0.3, units: 2 });
    assert.equal(beta.hasCheckpoint, false);
    assert.equal(runs.find((r) => r.id === 'sweep1/runs/j1')!.sweep, 'sweep1');
  });

  it('gives one run: config, metrics, pictures, checkpoint nets and the latent space', async () => {
    const alpha = await get<RunDetail>('/api/run?id=alpha');
    assert.deepEqual(alpha.config?.modelOptions, { beta: 4 });
    assert.deepEqual((alpha.metrics as { headline: object }).headline, { mig: 0.25, sap: 0.125 });
    assert.deepEqual(alpha.pictures, { 'traversal.png': '/files/alpha/traversal.png' });
    assert.deepEqual(alpha.checkpoint, {
      dir: 'checkpoint',
      step: 5,
      nets: [
        { name: 'decoder', modelUrl: '/files/alpha/checkpoint/decoder/model.json' },
        { name: 'encoder', modelUrl: '/files/alpha/checkpoint/encoder/model.json' },
      ],
    });
    // no latent.json: derived from config.json by the model definitions
    assert.deepEqual(alpha.latent, {
      model: 'beta-vae',
      continuous: 3,
      code: 'gaussian',
      discrete: [],
      decoder: 'bernoulli',
      source: 'config',
      klPerDim: [5, 10, 2.5],
    });
    assert.equal(alpha.logLines, 5);
    const beta = await get<RunDetail>('/api/run?id=group%2Fbeta');
    assert.deepEqual(beta.latent, {
      model: 'joint-vae',
      continuous: 4,
      code: 'gaussian',
      discrete: [
        { size: 3, inferred: 'encoder' },
        { size: 2, inferred: 'encoder' },
      ],
      decoder: 'bernoulli',
      source: 'config',
      klPerDim: null,
    });
    assert.equal(beta.checkpoint, null);
  });

  it('thins the log to maxPoints lines, keeping the last', async () => {
    const all = await get<LogResponse>('/api/run/log?id=alpha');
    assert.deepEqual(all.entries, LOG);
    const thin = await get<LogResponse>('/api/run/log?id=alpha&maxPoints=2');
    // 5 lines, at most 2 points: stride ceil(5/2) = 3 keeps lines 0 and 3, plus the last
    assert.equal(thin.stride, 3);
    assert.deepEqual(
      thin.entries.map((e) => e.step),
      [1, 4, 5],
    );
  });

  it("serves a run's files byte for byte, with HEAD and ETag revalidation", async () => {
    const weights = await send(port, '/files/alpha/checkpoint/decoder/weights.bin');
    assert.equal(weights.status, 200);
    assert.equal(weights.bytes.toString(), 'decoder-weights');
    assert.equal(weights.headers['content-type'], 'application/octet-stream');
    const png = await send(port, '/files/alpha/traversal.png');
    assert.equal(png.headers['content-type'], 'image/png');
    assert.deepEqual([...png.bytes], [0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const head = await send(port, '/files/alpha/traversal.png', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '7');
    assert.equal(head.bytes.length, 0);
    const again = await send(port, '/files/alpha/traversal.png', 'GET', {
      'If-None-Match': String(png.headers.etag),
    });
    assert.equal(again.status, 304);
    const model = await send(port, '/files/alpha/checkpoint/encoder/model.json');
    assert.deepEqual(JSON.parse(model.body), { format: 'layers-model', net: 'encoder' });
  });

  it('refuses every way out of RUNS_DIR with a 4xx and leaks nothing', async () => {
    const packageJson = readFileSync(join(ROOT, 'package.json'), 'utf8');
    const attempts = [
      '/files/../secret.txt',
      '/files/alpha/../../secret.txt',
      '/files/..%2fsecret.txt',
      '/files/..%2Fsecret.txt',
      '/files/%2e%2e/secret.txt',
      '/files/%2E%2E%2Fsecret.txt',
      '/files/alpha/%2e%2e/%2e%2e/secret.txt',
      '/files/..%5csecret.txt',
      '/files/%2fetc%2fpasswd',
      '/files//etc/passwd',
      `/files/${encodeURIComponent(join(dirs.outside, 'secret.txt'))}`,
      '/files/alpha/leak.txt',
      '/files/escape/secret.txt',
      '/files/alpha%00/config.json',
      '/files/%zz',
      '/files/../../../../../../etc/passwd',
      `/files/${'..%2f'.repeat(8)}etc%2fpasswd`,
      '/files/alpha/checkpoint',
      '/files/.hidden',
      '/api/run?id=..',
      '/api/run?id=..%2f..%2f',
      '/api/run?id=%2fetc',
      '/api/run?id=escape',
      '/api/run/log?id=../runs/alpha',
      '/api/sweep?id=..',
      '/api/run/samples?id=outside-data&n=2',
      '/..%2f..%2fpackage.json',
      '/%2e%2e/package.json',
    ];
    for (const path of attempts) {
      const reply = await send(port, path);
      assert.ok(reply.status >= 400 && reply.status < 500, `${path}: expected 4xx, got ${reply.status}`);
      assert.ok(!reply.body.includes(SECRET), `${path} leaked the secret`);
      assert.ok(!reply.body.includes('root:'), `${path} leaked /etc/passwd`);
      assert.ok(!reply.body.includes(packageJson.slice(0, 40)), `${path} leaked package.json`);
      assert.ok(typeof JSON.parse(reply.body).error === 'string', `${path}: a JSON error`);
    }
    const outside = await send(port, '/api/run/samples?id=outside-data&n=2');
    assert.equal(outside.status, 403);
    assert.match(JSON.parse(outside.body).error, /dataPath lies outside RUNS_DIR/);
  });

  it('is read-only: 405 with Allow on every other method', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const reply = await send(port, '/api/runs', method);
      assert.equal(reply.status, 405, method);
      assert.equal(reply.headers.allow, 'GET, HEAD');
      assert.match(JSON.parse(reply.body).error, /read-only/);
    }
    const post = await send(port, '/files/alpha/config.json', 'DELETE');
    assert.equal(post.status, 405);
  });

  it('answers bad requests with clear 4xx JSON errors', async () => {
    const cases: Array<[string, number, RegExp]> = [
      ['/api/run?id=nope', 404, /not found: nope/],
      ['/api/run', 400, /missing \?id=RUN/],
      ['/api/run/log?id=alpha&maxPoints=ten', 400, /maxPoints: expected a non-negative integer/],
      ['/api/run/samples?id=alpha&n=0', 400, /n: expected an integer from 1 to 64/],
      ['/api/run/samples?id=alpha&n=65', 400, /n: expected an integer from 1 to 64/],
      ['/api/sweep?id=alpha', 404, /no sweep "alpha"/],
      ['/api/nothing', 404, /no API route/],
      ['/files/alpha/missing.png', 404, /not found/],
      ['/', 503, /not built/],
    ];
    for (const [path, status, message] of cases) {
      const reply = await send(port, path);
      assert.equal(reply.status, status, `${path}: ${reply.body}`);
      assert.match(JSON.parse(reply.body).error, message, path);
    }
  });

  it('refuses Host headers that are not loopback names (DNS rebinding)', async () => {
    const evil = await send(port, '/api/runs', 'GET', { Host: 'attacker.example:80' });
    assert.equal(evil.status, 403);
    assert.doesNotMatch(evil.body, /alpha/);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `127.1.2.3:${port}`]) {
      assert.equal((await send(port, '/api/runs', 'GET', { Host: host })).status, 200, host);
    }
    // names that merely start like loopback, userinfo tricks, another port, no port, junk
    for (const host of [
      '127.evil.com',
      `127.evil.com:${port}`,
      `127.0.0.1.nip.io:${port}`,
      `localhost:1@evil.com`,
      `localhost:${port}@evil.com`,
      `localhost.evil.com:${port}`,
      `127.0.0.256:${port}`,
      `localhost:${port + 1}`,
      'localhost',
      `[::1].evil.com:${port}`,
    ]) {
      const reply = await send(port, '/api/runs', 'GET', { Host: host });
      assert.equal(reply.status, 403, `Host ${host}: ${reply.body}`);
      assert.doesNotMatch(reply.body, /alpha/);
    }
    assert.equal(isLoopbackHost(undefined, port), false, 'no Host header');
    assert.equal(isLoopbackHost('localhost', 80), true, 'no port on port 80');
    assert.equal(isLoopbackHost('LOCALHOST:8080', 8080), true);
  });

  it('warns only when it listens beyond loopback', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2'])
      assert.equal(exposureWarning(host), null);
    for (const host of ['0.0.0.0', '::', '192.168.1.2', '127.evil.com']) {
      assert.match(exposureWarning(host) ?? '', /reachable from the network, unauthenticated/, host);
    }
  });

  it("draws dataset images with the run's seed, each the observation of its factors", async () => {
    const samples = await get<SamplesResponse>('/api/run/samples?id=alpha&n=3');
    assert.deepEqual(samples.shape, [3, 64, 64, 1]);
    assert.deepEqual(samples.factorNames, ['shape', 'scale', 'orientation', 'posX', 'posY']);
    const bytes = Buffer.from(samples.data, 'base64');
    const pixels = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    assert.equal(pixels.length, 3 * 64 * 64);
    // binary dSprites is a function of its factors: render them independently and compare
    const expected = createDSprites({ variant: 'binary' }).sampleObservationsFromFactors(
      Int32Array.from(samples.factors.flat()),
      undefined as never,
    );
    assert.deepEqual(Array.from(pixels), Array.from(expected));
    assert.ok(
      pixels.some((v) => v === 1),
      'images have lit pixels',
    );
    // the same seed draws the same images; the first 2 of 3 are the 2 of a smaller request
    const two = await get<SamplesResponse>('/api/run/samples?id=alpha&n=2');
    assert.deepEqual(two.factors, samples.factors.slice(0, 2));
  });

  it('lists sweeps and gives the aggregate table with rows linked to their runs', async () => {
    const { sweeps } = await get<{ sweeps: SweepSummary[] }>('/api/sweeps');
    assert.deepEqual(
      sweeps.map((s) => [s.id, s.rows, s.source]),
      [
        ['sweep1', 2, 'results.json'],
        ['sweep2', 2, 'results/'],
      ],
    );
    const sweep = await get<SweepDetail>('/api/sweep?id=sweep1');
    // the rows' own fields, then every hyperparameter, then every metric (a key first seen in row 2 included)
    assert.deepEqual(sweep.columns, [
      'id',
      'model',
      'dataset',
      'seed',
      'runDir',
      'beta',
      'hyperparameters.seed',
      'mig',
    ]);
    assert.deepEqual(sweep.rows[0], {
      id: 'j1',
      model: 'beta-vae',
      dataset: 'dsprites',
      seed: 0,
      runDir: 'runs/j1',
      beta: 1,
      mig: 0.1,
    });
    // a nested key that clashes with a row key keeps its outer name
    assert.equal(sweep.rows[1]['hyperparameters.seed'], 9);
    assert.equal(sweep.rows[1].seed, 1);
    assert.deepEqual(sweep.runIds, ['sweep1/runs/j1', null]);
    assert.deepEqual(sweep.plots, { 'mig.svg': '/files/sweep1/plots/mig.svg' });
    const pending = await get<SweepDetail>('/api/sweep?id=sweep2');
    assert.deepEqual(
      pending.rows.map((r) => r.sap),
      [0.5, 0.7],
    );
  });

  it('serves the built app with its CSP, and only files inside its folder', async () => {
    const dist = tempDir('dist');
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)');
    const app = createDashboardServer({ runsDir: dirs.runs, webDist: dist });
    const appPort = (await listen(app, 0, '127.0.0.1')).match(/:(\d+)\/$/)![1];
    try {
      const index = await send(Number(appPort), '/');
      assert.equal(index.status, 200);
      assert.equal(index.body, '<!doctype html><title>app</title>');
      assert.match(String(index.headers['content-security-policy']), /default-src 'self'/);
      const script = await send(Number(appPort), '/assets/app.js');
      assert.match(String(script.headers['content-type']), /text\/javascript/);
      assert.equal((await send(Number(appPort), '/assets/../../secret.txt')).status, 400);
      assert.equal((await send(Number(appPort), '/nothing.js')).status, 404);
    } finally {
      app.close();
    }
  });
});

describe('dashboard log reading', () => {
  const line = (step: number) => JSON.stringify({ step, total: 1 / step, kl: step % 7, klPerDim: [step] });

  it('holds a bounded number of lines of a long log, every stride-th and the last', async () => {
    const root = tempDir('serve-log');
    mkdirSync(join(root, 'long'));
    writeJson(join(root, 'long', 'config.json'), { model: 'vae' });
    const total = 3 * MAX_KEPT_LINES + 5;
    const lines = Array.from({ length: total }, (_, i) => line(i + 1));
    // a garbage line and an over-long one in the middle are skipped, not fatal
    lines.splice(100, 0, '{"step": 3, "total"', 'x'.repeat(300_000));
    writeFileSync(join(root, 'long', 'log.jsonl'), `${lines.join('\n')}\n`);
    const real = realRoot(root);
    const all = await runLog(real, 'long', 1e9);
    assert.equal(all.total, total);
    assert.ok(all.entries.length <= MAX_KEPT_LINES + 1, `${all.entries.length} entries kept`);
    assert.equal(all.stride, 4, 'the kept stride doubles past MAX_KEPT_LINES');
    assert.deepEqual(
      all.entries.slice(0, -1).map((e) => e.step),
      all.entries.slice(0, -1).map((_, j) => j * all.stride + 1),
    );
    assert.equal(all.entries.at(-1)?.step, total, 'the last line is always there');
    const thin = await runLog(real, 'long', 1000);
    assert.ok(thin.stride % 4 === 0 && thin.stride >= Math.ceil(total / 1000), `stride ${thin.stride}`);
    assert.ok(thin.entries.length <= 1001, `${thin.entries.length} entries`);
  });

  it('reads a log again only when it changed, and an appended log from where it was', async () => {
    const root = tempDir('serve-log-cache');
    const dir = join(root, 'run');
    mkdirSync(dir);
    writeJson(join(dir, 'config.json'), { model: 'vae' });
    const log = join(dir, 'log.jsonl');
    writeFileSync(log, `${[1, 2, 3].map(line).join('\n')}\n`);
    const real = realRoot(root);
    assert.deepEqual(
      (await runLog(real, 'run', 100)).entries.map((e) => e.step),
      [1, 2, 3],
    );
    // same inode, size and mtime: served from the cache, not parsed again
    const { mtime } = statSync(log);
    const fd = openSync(log, 'r+');
    writeSync(fd, Buffer.from(line(7)), 0, line(7).length, 0);
    closeSync(fd);
    utimesSync(log, mtime, mtime);
    assert.equal((await runLog(real, 'run', 100)).entries[0].step, 1, 'cached');
    // appended, the last line still being written: read from the last complete line on (the lines
    // before it are not parsed again, so the in-place edit stays unseen)
    appendFileSync(log, `${line(4)}\n${line(5).slice(0, 9)}`);
    const torn = await runLog(real, 'run', 100);
    assert.deepEqual(
      torn.entries.map((e) => e.step),
      [1, 2, 3, 4],
    );
    appendFileSync(log, `${line(5).slice(9)}\n`);
    const done = await runLog(real, 'run', 100);
    assert.deepEqual(
      done.entries.map((e) => e.step),
      [1, 2, 3, 4, 5],
    );
    // replaced (resume drops lines past its checkpoint): read anew
    const replacement = join(dir, '.log.tmp');
    writeFileSync(replacement, `${[1, 2].map(line).join('\n')}\n`);
    renameSync(replacement, log);
    assert.deepEqual(
      (await runLog(real, 'run', 100)).entries.map((e) => e.step),
      [1, 2],
    );
  });
});

describe('untangle serve', () => {
  it('names a missing runs folder in one line and exits 2', () => {
    const missing = join(tempDir('serve-missing'), 'no-such-runs');
    const result = untangle(['serve', missing, '--port', '0']);
    assert.equal(result.status, 2, result.stderr);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /runs folder .*no-such-runs does not exist/);
  });

  it('warns on stderr that --host 0.0.0.0 exposes the runs, unauthenticated', async () => {
    const child = untangleAsync(['serve', tempDir('serve-exposed'), '--host', '0.0.0.0', '--port', '0']);
    let stderr = '';
    const warned = await new Promise<boolean>((done) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk;
        if (/\n/.test(stderr)) done(true);
      });
      child.on('exit', () => done(false));
    });
    child.kill('SIGKILL');
    assert.ok(warned, stderr);
    assert.match(
      stderr.split('\n')[0],
      /warning: --host 0\.0\.0\.0 .*reachable from the network, unauthenticated/,
    );
  });
});

describe('the web build hash', () => {
  it('covers the files outside web/ that the app imports, and what they import', async () => {
    const { webSourceHash } = await import('../src/server/web-build.ts');
    const root = tempDir('web-hash');
    mkdirSync(join(root, 'web', 'src'), { recursive: true });
    mkdirSync(join(root, 'shared'));
    writeFileSync(join(root, 'web', 'src', 'app.ts'), "import { b } from '../../shared/b.ts';\n");
    writeFileSync(join(root, 'shared', 'b.ts'), "export { c as b } from './c.ts';\n");
    writeFileSync(join(root, 'shared', 'c.ts'), 'export const c = 1;\n');
    writeFileSync(join(root, 'shared', 'unused.ts'), 'export const u = 1;\n');
    const before = webSourceHash(join(root, 'web'));
    writeFileSync(join(root, 'shared', 'unused.ts'), 'export const u = 2;\n');
    assert.equal(webSourceHash(join(root, 'web')), before, 'a file the app does not import');
    writeFileSync(join(root, 'shared', 'c.ts'), 'export const c = 2;\n');
    assert.notEqual(webSourceHash(join(root, 'web')), before, 'a file imported through another');
  });
});
