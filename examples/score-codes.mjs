// Score codes written by any framework (examples/pytorch-codes.py) with Untangle's metrics.
// Usage: node examples/score-codes.mjs codes.npy factors.npy
// (the same from the shell: npx untangle metrics --codes codes.npy --factors factors.npy)
import { mig, readNpy, sap } from 'untangle';

const [codesPath, factorsPath] = process.argv.slice(2);
const codes = readNpy(codesPath); // [n, dim] float32
const factors = readNpy(factorsPath); // [n, k] integers
console.log(
  JSON.stringify({
    mig: mig(codes, factors, { numTrain: 3000 }).mig,
    sap: sap(codes, factors, { numTrain: 2000, numTest: 1000 }).sap,
  }),
);
