/** Two models × two values × one seed, a few MLP steps and small metric samples: seconds per job. */
export const tinySpec = (steps = 6) => ({
  models: { 'beta-vae': { beta: [1, 4] }, 'dip-vae-i': { lambdaOffDiagonal: [1, 10] } },
  seeds: [0],
  train: { steps, batchSize: 8, architecture: 'mlp', hidden: [32], logEvery: 2, checkpointEvery: 3 },
  metrics: {
    names: ['mig', 'sap', 'irs'],
    settings: ['mig.numTrain=300', 'sap.numTrain=200', 'sap.numTest=100', 'irs.numTrain=300'],
  },
});
