import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from './errors.ts';
import { intOption } from './options.ts';

interface ServeFlags {
  port: number;
  host: string;
}

export function register(program: Command): void {
  program
    .command('serve')
    .argument('[runs-dir]', 'folder of run and sweep folders', 'runs')
    .description('the dashboard: browse runs and sweeps, plot losses, explore a decoder in the browser')
    .option('--port <p>', 'port to listen on (0: any free port)', intOption('--port'), 8080)
    .option('--host <h>', 'address to listen on; anything but loopback exposes your runs', '127.0.0.1')
    .action(async (runsDir: string, flags: ServeFlags) => {
      if (!existsSync(runsDir) || !statSync(runsDir).isDirectory()) {
        throw new UsageError(
          `serve: runs folder ${runsDir} does not exist (train a run into it first, or name another)`,
        );
      }
      if (flags.port > 65535) throw new UsageError(`--port expects 0 to 65535, got ${flags.port}`);
      const { createDashboardServer, exposureWarning, listen } = await import('../server/server.ts');
      const warning = exposureWarning(flags.host);
      if (warning != null) process.stderr.write(`${warning}\n`);
      const { ensureWebBuild } = await import('../server/web-build.ts');
      const { dist } = await ensureWebBuild(undefined, () =>
        process.stderr.write('building the dashboard (once, after install or a change of web/)...\n'),
      );
      const server = createDashboardServer({ runsDir, webDist: dist, host: flags.host });
      let url: string;
      try {
        url = await listen(server, flags.port, flags.host);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new UsageError(`serve: port ${flags.port} is in use: pass --port`);
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
          throw new UsageError(`serve: cannot listen on --host ${flags.host} (${code})`);
        }
        throw err;
      }
      process.stdout.write(`untangle dashboard: ${url} (runs from ${runsDir})\n`);
      const stop = () => {
        server.closeAllConnections();
        server.close(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
