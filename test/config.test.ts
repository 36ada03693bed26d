import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../src/io/input-error.ts';
import { readJson } from '../src/io/read-json.ts';
import { applyOverrides, ConfigError, resolveTrainConfig } from '../src/run/config.ts';

describe('training config', () => {
  it('refuses sizes that would allocate gigabytes, and a modelOptions that is not an object', () => {
    for (const [key, value] of [
      ['batchSize', 1e8],
      ['latentDim', 1e8],
      ['hidden', [1e8]],
    ] as const) {
      assert.throws(() => resolveTrainConfig({ [key]: value }), new RegExp(`${key}.*Too big`), key);
    }
    for (const options of ['x', [1], 3]) {
      const raw = applyOverrides({ model: 'beta-vae', modelOptions: options }, []);
      assert.throws(
        () => resolveTrainConfig(raw),
        /^ConfigError: modelOptions: expected an object of model options/,
        JSON.stringify(options),
      );
      assert.throws(
        () => applyOverrides({ modelOptions: options }, ['beta=4']),
        /modelOptions: expected an object/,
      );
    }
  });

  it('names a file that is not JSON in one short line, binary escaped, not echoed raw', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'untangle-json-'));
    const path = join(dir, 'garbled.json');
    writeFileSync(path, Buffer.concat([Buffer.from([0, 1, 2, 0x1b, 0xff, 10]), Buffer.alloc(5000, 0x41)]));
    await assert.rejects(readJson(path), (err: Error) => {
      assert.ok(err instanceof InputError);
      assert.match(
        err.message,
        /garbled\.json is not valid JSON: Unexpected token '\\u0000'; it starts "\\u0000\\u0001/,
      );
      assert.doesNotMatch(err.message, /[^\x20-\x7e]/, 'printable ASCII only');
      assert.ok(err.message.length < 300, `${err.message.length} characters`);
      return true;
    });
    // a device that never ends was read to 512 MB before failing
    await assert.rejects(readJson('/dev/zero'), /\/dev\/zero: not a regular file \(expected a JSON file\)/);
  });

  it('fills disentanglement_lib defaults', () => {
    const config = resolveTrainConfig({ model: 'beta-vae' });
    assert.equal(config.batchSize, 64);
    assert.equal(config.learningRate, 1e-4);
    assert.equal(config.adamBeta1, 0.9);
    assert.equal(config.adamBeta2, 0.999);
    assert.equal(config.adamEpsilon, 1e-8);
    assert.equal(config.latentDim, 10);
    assert.equal(config.innerKernel, 2, 'the code uses 2x2 kernels in encoder convs 3 and 4');
    assert.deepEqual(config.modelOptions, { beta: 4 });
  });

  it('applies --set overrides: config keys, model options, JSON values', () => {
    const raw = applyOverrides({ model: 'annealed-vae' }, [
      'batchSize=32',
      'capacityMax=50',
      'modelOptions.gamma=500',
      'hidden=[128,32]',
    ]);
    const config = resolveTrainConfig(raw);
    assert.equal(config.batchSize, 32);
    assert.deepEqual(config.hidden, [128, 32]);
    assert.deepEqual(config.modelOptions, { gamma: 500, capacityMax: 50, capacitySteps: 100_000 });
  });

  it('rejects bad values with a message naming the key', () => {
    assert.throws(
      () => resolveTrainConfig({ batchSize: 0 }),
      (e: Error) => e instanceof ConfigError && /batchSize/.test(e.message),
    );
    assert.throws(() => resolveTrainConfig({ innerKernel: 3 }), /innerKernel/);
    assert.throws(() => resolveTrainConfig({ bogus: 1 }), /bogus|Unrecognized/);
    assert.throws(
      () => resolveTrainConfig({ model: 'beta-vae', modelOptions: { beta: -1 } }),
      /modelOptions\.beta/,
    );
    assert.throws(
      () => resolveTrainConfig({ model: 'beta-vae', modelOptions: { gamma: 3 } }),
      /modelOptions/,
    );
    assert.throws(
      () => resolveTrainConfig({ model: 'nope' }),
      /unknown model "nope": expected one of vae, beta-vae, annealed-vae/,
    );
    assert.throws(() => applyOverrides({}, ['batchSize']), /expected key=value/);
  });
});
