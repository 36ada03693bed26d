#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { InputError } from '../io/input-error.ts';

const program = new Command('untangle')
  .description('Learn, measure and explore disentangled representations.')
  .exitOverride();

const subcommands: Array<() => Promise<{ register(program: Command): void }>> = [
  () => import('./train.ts'),
  () => import('./traverse.ts'),
  () => import('./scatter.ts'),
  () => import('./encode.ts'),
  () => import('./decode.ts'),
  () => import('./data.ts'),
  () => import('./bench.ts'),
  () => import('./demo.ts'),
  () => import('./evaluate.ts'),
  () => import('./metrics.ts'),
  () => import('./udr.ts'),
  () => import('./factor-analysis.ts'),
  () => import('./sweep.ts'),
  () => import('./worker.ts'),
  () => import('./aggregate.ts'),
  () => import('./serve.ts'),
  () => import('./train-fhvae.ts'),
  () => import('./fhvae-table.ts'),
  () => import('./study.ts'),
];
for (const load of subcommands) (await load()).register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  process.stderr.write(`untangle: ${(err as Error).message}\n`);
  if (process.env.UNTANGLE_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
  // Bad input exits with 2; a failure of the run itself (e.g. a non-finite loss) with 1.
  process.exit(err instanceof InputError ? 2 : 1);
}
