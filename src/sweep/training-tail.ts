import { readLog } from '../run/log.ts';

/**
 * Training-batch reconstruction and KL averaged over the last tenth of the logged steps. The KL is the
 * whole code's: JointVAE logs its continuous and discrete parts apart.
 */
export function lastTenth(runDir: string): { reconstruction?: number; kl?: number } {
  const log = readLog(runDir);
  if (log.length === 0) return {};
  const tail = log.slice(-Math.max(1, Math.ceil(log.length / 10)));
  const mean = (of: (e: Record<string, unknown>) => number) =>
    tail.reduce((a, e) => a + of(e), 0) / tail.length;
  const kl = (e: Record<string, unknown>) =>
    (e.kl ?? (e.klContinuous as number) + (e.klDiscrete as number)) as number;
  return 'reconstruction' in tail[0]
    ? { reconstruction: mean((e) => e.reconstruction as number), kl: mean(kl) }
    : {};
}
