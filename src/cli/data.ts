import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { writeDSpritesNpz } from '../data/dsprites-npz.ts';
import { createProgress } from '../train/progress.ts';
import { UsageError } from './errors.ts';

export function register(program: Command): void {
  const data = program.command('data').description('write datasets to files');
  data
    .command('dsprites')
    .description(
      'write procedural dSprites as an .npz in the original layout (imgs, latents_classes, latents_values)',
    )
    .requiredOption('--out <file>', 'the .npz file to write')
    .option('--overwrite', 'replace an existing file')
    .action((flags: { out: string; overwrite?: boolean }) => {
      if (!flags.out.endsWith('.npz'))
        throw new UsageError(`--out ${flags.out}: expected a file name ending in .npz`);
      if (existsSync(flags.out) && !flags.overwrite) {
        throw new UsageError(`${flags.out} already exists: pass --overwrite to replace it`);
      }
      const progress = createProgress('dsprites', 737_280);
      writeDSpritesNpz(flags.out, (done) => progress.update(done, {}));
      progress.stop();
      process.stderr.write(`wrote ${flags.out}\n`);
    });
}
