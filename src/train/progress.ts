import cliProgress from 'cli-progress';

/** Progress of a long job: a bar with ETA and the current loss on a TTY, plain lines otherwise. */
export interface Progress {
  update(done: number, values: Record<string, number>): void;
  stop(): void;
}

export function createProgress(
  label: string,
  total: number,
  start = 0,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {value}/{total} | ETA {eta_formatted} | {metrics}`,
        stream,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, start, { metrics: '' });
    return {
      update: (done, values) => bar.update(done, { metrics: formatValues(values) }),
      stop: () => bar.stop(),
    };
  }
  const began = Date.now();
  let lastLine = 0;
  return {
    update(done, values) {
      const now = Date.now();
      if (now - lastLine < 5000 && done < total) return;
      lastLine = now;
      const rate = (done - start) / Math.max((now - began) / 1000, 1e-9);
      const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
      stream.write(
        `${label} ${done}/${total} (${Math.round((100 * done) / total)}%) ETA ${eta}s ${formatValues(values)}\n`,
      );
    },
    stop() {},
  };
}

function formatValues(values: Record<string, number>): string {
  return Object.entries(values)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => `${k} ${Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4)}`)
    .join(' ');
}
