#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { UsageError } from './errors.ts';

const program = new Command('untangle')
  .description('Learn, measure and explore disentangled representations.')
  .showHelpAfterError()
  .exitOverride();

const subcommands: Array<() => Promise<{ register(program: Command): void }>> = [];
for (const load of subcommands) (await load()).register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  if (err instanceof UsageError) {
    process.stderr.write(`untangle: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
