import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyOverrides, ConfigError, resolveTrainConfig } from '../src/run/config.ts';

describe('training config', () => {
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
