import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname } from 'node:path';
import { excerpt } from '../io/excerpt.ts';
import type { ApiError } from './api-types.ts';
import { listRuns, listSweeps, runDetail, runFolder, runLog, sweepDetail } from './runs.ts';
import { HttpError, pathSegments, realRoot, resolveFileInside } from './safe-path.ts';
import { runSamples } from './samples.ts';

export interface DashboardOptions {
  /** the folder of runs and sweeps; nothing outside it is served */
  runsDir: string;
  /** the built web app (index.html, assets/), or null to serve the API only */
  webDist: string | null;
  /** the address the server listens on: on loopback, Host headers other than loopback names are refused */
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

/** An IPv4 literal in 127.0.0.0/8, written as the four decimal octets (no `127.evil.com`). */
const LOOPBACK_IPV4 = /^127\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){2}$/;

/** Whether the server listens on a loopback address (an exposed server cannot check Host headers). */
export function isLoopbackAddress(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || LOOPBACK_IPV4.test(host);
}

/**
 * Whether a Host header names this server by a loopback name: exactly `localhost`, a 127.x.x.x literal
 * or `[::1]`, with the port it is served on (the port may be left out only on port 80). Anything else
 * (`127.evil.com`, `127.0.0.1.nip.io`, `localhost:1@evil.com`) is a page from elsewhere (DNS rebinding).
 */
export function isLoopbackHost(header: string | undefined, port: number): boolean {
  if (header == null) return false;
  const match = /^(localhost|\[::1\]|[0-9.]+)(?::(\d{1,5}))?$/i.exec(header);
  if (match == null) return false;
  const name = match[1].toLowerCase();
  if (name !== 'localhost' && name !== '[::1]' && !LOOPBACK_IPV4.test(name)) return false;
  return match[2] == null ? port === 80 : Number(match[2]) === port;
}

/** The line `untangle serve` prints when it listens beyond loopback (null when it does not). */
export function exposureWarning(host: string): string | null {
  if (isLoopbackAddress(host)) return null;
  return (
    `warning: --host ${host} makes the dashboard reachable from the network, unauthenticated: ` +
    'anyone who can reach this machine can read every run (and the Host check is off)'
  );
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
  const checkHost = options.host == null || isLoopbackAddress(options.host);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('Allow', 'GET, HEAD');
      throw new HttpError(405, `method ${req.method} not allowed: the dashboard is read-only (GET, HEAD)`);
    }
    // DNS rebinding: a page from elsewhere whose name resolves to 127.0.0.1 sends its own Host
    if (checkHost && !isLoopbackHost(req.headers.host, req.socket.localPort ?? 0)) {
      throw new HttpError(
        403,
        `Host ${excerpt(req.headers.host ?? '')} refused: the dashboard answers loopback names (localhost, 127.x.x.x, [::1]) with its port only`,
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
