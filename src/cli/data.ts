import { existsSync, statSync } from 'node:fs';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { writeDSpritesNpz } from '../data/dsprites-npz.ts';
import { checkOutputFile } from '../io/out-dir.ts';
import { speechCommand } from './data-speech.ts';
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
    .action(async (flags: { out: string; overwrite?: boolean }) => {
      const out = flags.out;
      if (!out.endsWith('.npz')) throw new UsageError(`--out ${out}: expected a file name ending in .npz`);
      if (existsSync(out) && !flags.overwrite) {
        throw new UsageError(`--out ${out} already exists: pass --overwrite to replace it`);
      }
      await checkOutputFile(out);
      const began = Date.now();
      const progress = createImageProgress('dsprites');
      // Ctrl-C stops between chunks, so the partial temp file is removed
      const abort = new AbortController();
      const stop = () => abort.abort(new Error('interrupted: nothing was written'));
      process.once('SIGINT', stop).once('SIGTERM', stop);
      try {
        await writeDSpritesNpz(out, { onProgress: progress.update, signal: abort.signal });
      } finally {
        progress.stop();
        process.off('SIGINT', stop).off('SIGTERM', stop);
      }
      const mb = (statSync(out).size / 1e6).toFixed(1);
      process.stderr.write(`wrote ${out} (${mb} MB) in ${Math.round((Date.now() - began) / 1000)} s\n`);
    });
  speechCommand(data, (label, unit) => createImageProgress(label, process.stderr, unit));
}

/** A bar on a terminal; elsewhere (logs, CI) a line every few seconds, e.g. "dsprites: 1000/5000 images (20%), ETA 40 s". */
function createImageProgress(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  unit = 'images',
): { update: (done: number, total: number) => void; stop: () => void } {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} ${unit} | ETA {eta_formatted}`, stream, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: (done, total) => {
        if (!started) bar.start(total, 0);
        started = true;
        bar.update(done);
      },
      stop: () => bar.stop(),
    };
  }
  const began = Date.now();
  let last = began;
  return {
    update: (done, total) => {
      const now = Date.now();
      if (now - last < 5000 && done < total) return;
      last = now;
      const eta = done > 0 ? Math.round(((now - began) / 1000) * ((total - done) / done)) : 0;
      stream.write(
        `${label}: ${done}/${total} ${unit} (${Math.floor((100 * done) / total)}%), ETA ${eta} s\n`,
      );
    },
    stop: () => {},
  };
}
