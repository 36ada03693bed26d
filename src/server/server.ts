import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname } from 'node:path';
import type { ApiError } from './api-types.ts';
import { listRuns, listSweeps, runDetail, runFolder, runLog, sweepDetail } from './runs.ts';
import { HttpError, pathSegments, realRoot, resolveFileInside } from './safe-path.ts';
import { runSamples } from './samples.ts';

export interface DashboardOptions {
  /** the folder of runs and sweeps; nothing outside it is served */
  runsDir: string;
  /** the built web app (index.html, assets/), or null to serve the API only */
  webDist: string | null;
  /** the address the server listens on: Host headers naming another loopback name are refused */
  host?: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
  '.ico': 'image/x-icon',
};

// The app loads its scripts, styles, models and images from this server only; wasm needs its own keyword.
const APP_CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data: blob:; connect-src 'self' data: blob:; worker-src 'self' blob:; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
// A file of a run is data, never a page: an SVG opened directly runs no script.
const FILE_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox";

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || host.startsWith('127.');
}

/** The host name of a Host header (without the port). */
function hostName(header: string): string {
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  const colon = header.lastIndexOf(':');
  return colon >= 0 ? header.slice(0, colon) : header;
}

function sendJson(res: ServerResponse, status: number, body: unknown, head: boolean): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(head ? undefined : text);
}

async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  headers: Record<string, string>,
): Promise<void> {
  const info = await stat(path);
  const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const common = { ETag: etag, 'Cache-Control': 'no-cache', ...headers };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, common);
    res.end();
    return;
  }
  res.writeHead(200, {
    ...common,
    'Content-Type': CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': info.size,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((done, fail) => {
    const stream = createReadStream(path);
    stream.on('error', fail);
    res.on('close', () => {
      stream.destroy();
      done();
    });
    stream.pipe(res);
  });
}

function intParam(params: URLSearchParams, name: string, fallback: number): number {
  const text = params.get(name);
  if (text == null) return fallback;
  if (!/^\d+$/.test(text))
    throw new HttpError(400, `${name}: expected a non-negative integer, got "${text}"`);
  return Number(text);
}

/**
 * The dashboard's HTTP server: a read-only JSON API over RUNS_DIR, the files of its runs, and the built
 * web app. Routes and security rules: docs/dashboard.md.
 */
export function createDashboardServer(options: DashboardOptions): Server {
  const root = realRoot(options.runsDir);
  const dist = options.webDist == null ? null : realRoot(options.webDist);
  const checkHost = options.host == null || isLoopback(options.host);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('Allow', 'GET, HEAD');
      throw new HttpError(405, `method ${req.method} not allowed: the dashboard is read-only (GET, HEAD)`);
    }
    // DNS rebinding: a page from elsewhere whose name resolves to 127.0.0.1 sends its own Host
    if (checkHost && !isLoopback(hostName(req.headers.host ?? ''))) {
      throw new HttpError(
        403,
        `Host "${req.headers.host ?? ''}" refused: the dashboard answers loopback names only`,
      );
    }
    const raw = req.url ?? '/';
    const query = raw.indexOf('?');
    const path = query >= 0 ? raw.slice(0, query) : raw;
    const params = new URLSearchParams(query >= 0 ? raw.slice(query + 1) : '');
    if (!path.startsWith('/')) throw new HttpError(400, `bad request path "${path}"`);

    if (path.startsWith('/api/')) {
      const route = path.slice('/api/'.length);
      const id = params.get('id');
      let body: unknown;
      switch (route) {
        case 'runs':
          body = { runs: await listRuns(root) };
          break;
        case 'run':
          body = await runDetail(root, id ?? '');
          break;
        case 'run/log':
          body = await runLog(root, id ?? '', Math.max(1, intParam(params, 'maxPoints', 5000)));
          break;
        case 'run/samples':
          body = await runSamples(root, await runFolder(root, id), id!, intParam(params, 'n', 16));
          break;
        case 'sweeps':
          body = { sweeps: await listSweeps(root) };
          break;
        case 'sweep':
          body = await sweepDetail(root, id);
          break;
        default:
          throw new HttpError(404, `no API route /api/${route}`);
      }
      sendJson(res, 200, body, head);
      return;
    }
    if (path.startsWith('/files/')) {
      const file = await resolveFileInside(root, pathSegments(path.slice('/files/'.length), 'file'));
      await sendFile(req, res, file, { 'Content-Security-Policy': FILE_CSP });
      return;
    }
    const segments = path === '/' ? ['index.html'] : pathSegments(path.slice(1), 'path');
    if (dist == null) throw new HttpError(503, 'the web app is not built: run `untangle serve` to build it');
    const file = await resolveFileInside(dist, segments);
    await sendFile(req, res, file, { 'Content-Security-Policy': APP_CSP });
  };

  return createServer((req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const status = err instanceof HttpError ? err.status : 500;
      const body: ApiError = { error: err instanceof Error ? err.message : String(err) };
      if (status === 500) process.stderr.write(`untangle serve: ${req.method} ${req.url}: ${body.error}\n`);
      sendJson(res, status, body, req.method === 'HEAD');
    });
  });
}

/** Starts the server and resolves with the URL it answers on (port 0 picks a free port). */
export async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      done();
    });
  });
  const address = server.address() as AddressInfo;
  const name = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${name}:${address.port}/`;
}
