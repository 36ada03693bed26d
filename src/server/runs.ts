import { existsSync } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { completedDir } from '../io/atomic.ts';
import { InputError } from '../io/input-error.ts';
import type {
  CheckpointNet,
  LogLine,
  LogResponse,
  RunDetail,
  RunSummary,
  SweepDetail,
  SweepSummary,
} from './api-types.ts';
import { EMPTY_LOG, logSummary, parseLogLine, thinLog } from './log-summary.ts';
import { HttpError, pathSegments, resolveInside } from './safe-path.ts';

/** How deep run folders are looked for under RUNS_DIR (a sweep's runs sit at SWEEP/runs/ID). */
const MAX_DEPTH = 4;
/** Folders visited at most per listing, so a huge tree cannot stall the server. */
const MAX_FOLDERS = 20_000;
const PICTURE = /\.(png|gif|svg)$/i;
/** Folders that never hold runs, and a sweep's folders of logs, plots and result files. */
const SKIPPED = new Set(['checkpoint', 'checkpoint.old', 'node_modules']);
const SWEEP_PARTS = new Set(['logs', 'plots', 'results']);

/** The run folders (config.json) and sweep folders (sweep.json, results.json or results/) under root. */
export async function discover(root: string): Promise<{ runs: string[]; sweeps: string[] }> {
  const runs: string[] = [];
  const sweeps: string[] = [];
  let visited = 0;
  const walk = async (segments: string[]): Promise<void> => {
    if (++visited > MAX_FOLDERS) return;
    const dir = join(root, ...segments);
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const names = new Set(entries.map((e) => e.name));
    const id = segments.length === 0 ? '.' : segments.join('/');
    if (names.has('config.json')) {
      runs.push(id);
      return;
    }
    const isSweep = names.has('sweep.json') || names.has('results.json') || hasFolder(entries, 'results');
    if (isSweep) sweeps.push(id);
    if (segments.length >= MAX_DEPTH) return;
    // symlinked folders are not followed while listing: what is listed is what lies inside root
    const folders = entries
      .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !SKIPPED.has(e.name))
      .filter((e) => !(isSweep && SWEEP_PARTS.has(e.name)))
      .map((e) => e.name)
      .sort();
    for (const name of folders) await walk([...segments, name]);
  };
  await walk([]);
  return { runs, sweeps };
}

function hasFolder(entries: import('node:fs').Dirent[], name: string): boolean {
  return entries.some((e) => e.name === name && e.isDirectory());
}

/** The URL path that serves a file of RUNS_DIR. */
export function fileUrl(id: string, ...names: string[]): string {
  const segments = [...(id === '.' ? [] : id.split('/')), ...names];
  return `/files/${segments.map(encodeURIComponent).join('/')}`;
}

/** A run id from a request (a '/'-separated path inside root), checked and resolved to its real folder. */
export async function runFolder(root: string, id: string | null): Promise<string> {
  if (id == null || id === '') throw new HttpError(400, 'missing ?id=RUN (a run folder inside RUNS_DIR)');
  const dir = await resolveInside(root, id === '.' ? [] : pathSegments(id, 'run id'));
  if (!existsSync(join(dir, 'config.json'))) throw new HttpError(404, `no run "${id}" (no config.json)`);
  return dir;
}

async function readJsonOrNull(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return null;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The last complete JSON line of log.jsonl, read from its tail (a log can be megabytes). */
async function lastLogLine(path: string): Promise<LogLine | null> {
  let handle: import('node:fs/promises').FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    return null;
  }
  try {
    const size = (await handle.stat()).size;
    for (let span = 64 * 1024; ; span *= 4) {
      const start = Math.max(0, size - span);
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      const lines = buffer.toString('utf8').split('\n');
      // the first line of a partial read may be cut
      for (let i = lines.length - 1; i >= (start === 0 ? 0 : 1); i--) {
        const line = parseLogLine(lines[i]);
        if (line) return line;
      }
      if (start === 0) return null;
    }
  } finally {
    await handle.close();
  }
}

function scalarTerms(line: LogLine | null): Record<string, number> {
  const out: Record<string, number> = {};
  if (line == null) return out;
  for (const [key, value] of Object.entries(line)) {
    if (key !== 'step' && typeof value === 'number') out[key] = value;
  }
  return out;
}

/**
 * One number per metric: metrics.json's `headline` (what `untangle evaluate` writes), else its numeric
 * fields (`name` for a number, `name.field` for the numbers of a result object).
 */
export function headlineOf(metrics: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!isPlainObject(metrics)) return out;
  if (isPlainObject(metrics.headline)) {
    for (const [key, value] of Object.entries(metrics.headline))
      if (typeof value === 'number') out[key] = value;
    return out;
  }
  for (const [key, value] of Object.entries(metrics)) {
    if (typeof value === 'number') out[key] = value;
    else if (isPlainObject(value)) {
      for (const [field, v] of Object.entries(value)) if (typeof v === 'number') out[`${key}.${field}`] = v;
    }
  }
  return out;
}

async function mtime(path: string): Promise<number> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return 0;
  }
}

function sweepOf(id: string, sweeps: readonly string[]): string | null {
  let best: string | null = null;
  for (const sweep of sweeps) {
    const inside = sweep === '.' || id.startsWith(`${sweep}/`);
    if (inside && id !== sweep && (best == null || sweep.length > best.length)) best = sweep;
  }
  return best;
}

export async function runSummary(dir: string, id: string, sweeps: readonly string[]): Promise<RunSummary> {
  const raw = await readJsonOrNull(join(dir, 'config.json'));
  const config = isPlainObject(raw) ? raw : null;
  const last = await lastLogLine(join(dir, 'log.jsonl'));
  const metrics = await readJsonOrNull(join(dir, 'metrics.json'));
  const checkpoint = completedDir(join(dir, 'checkpoint'));
  const times = await Promise.all(
    ['config.json', 'log.jsonl', 'metrics.json'].map((name) => mtime(join(dir, name))),
  );
  return {
    id,
    config,
    model: typeof config?.model === 'string' ? config.model : null,
    dataset: typeof config?.dataset === 'string' ? config.dataset : null,
    steps: typeof config?.steps === 'number' ? config.steps : null,
    lastStep: last?.step ?? null,
    lastLosses: scalarTerms(last),
    headline: headlineOf(metrics),
    hasCheckpoint: checkpoint != null && existsSync(join(checkpoint, 'state.json')),
    sweep: sweepOf(id, sweeps),
    modified: new Date(Math.max(...times)).toISOString(),
  };
}

export async function listRuns(root: string): Promise<RunSummary[]> {
  const { runs, sweeps } = await discover(root);
  return Promise.all(
    runs.map((id) => runSummary(join(root, ...(id === '.' ? [] : id.split('/'))), id, sweeps)),
  );
}

/**
 * The latent space of a run's model: its latent.json, or derived from config.json by the model
 * definitions for a run trained before latent.json (null: not a model the registry knows).
 */
async function latentOf(dir: string, config: unknown): Promise<RunDetail['latent']> {
  // loaded on first use: the model definitions pull in tfjs, which listing runs does not need
  const { readLatentLayout } = await import('../run/latent-file.ts');
  let found: Awaited<ReturnType<typeof readLatentLayout>>;
  try {
    found = await readLatentLayout(dir, config);
  } catch (err) {
    if (err instanceof InputError) throw new HttpError(422, err.message);
    throw err;
  }
  return found && { ...found.layout, source: found.source, klPerDim: null };
}

export async function runDetail(root: string, id: string): Promise<RunDetail> {
  const dir = await runFolder(root, id);
  const { sweeps } = await discover(root);
  const summary = await runSummary(dir, id, sweeps);
  const log = await logSummary(join(dir, 'log.jsonl'));
  const latent = await latentOf(dir, summary.config);
  if (latent) latent.klPerDim = log?.lastKlPerDim ?? null;
  const pictures: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    if (PICTURE.test(name) && !name.startsWith('.')) pictures[name] = fileUrl(id, name);
  }
  const reportPath = join(dir, 'report.md');
  const checkpointDir = completedDir(join(dir, 'checkpoint'));
  let checkpoint: RunDetail['checkpoint'] = null;
  if (checkpointDir != null) {
    const folder = checkpointDir.endsWith('.old') ? 'checkpoint.old' : 'checkpoint';
    const nets: CheckpointNet[] = [];
    for (const entry of await readdir(checkpointDir, { withFileTypes: true })) {
      if (entry.isDirectory() && existsSync(join(checkpointDir, entry.name, 'model.json'))) {
        nets.push({ name: entry.name, modelUrl: fileUrl(id, folder, entry.name, 'model.json') });
      }
    }
    nets.sort((a, b) => a.name.localeCompare(b.name));
    const state = await readJsonOrNull(join(checkpointDir, 'state.json'));
    const step = isPlainObject(state) && typeof state.step === 'number' ? state.step : null;
    checkpoint = { dir: folder, step, nets };
  }
  return {
    ...summary,
    metrics: await readJsonOrNull(join(dir, 'metrics.json')),
    report: existsSync(reportPath) ? await readFile(reportPath, 'utf8') : null,
    pictures,
    checkpoint,
    latent,
    logLines: log?.total ?? 0,
  };
}

/** A run's log, thinned to at most about `maxPoints` lines: every stride-th line and the last one. */
export async function runLog(root: string, id: string, maxPoints: number): Promise<LogResponse> {
  const dir = await runFolder(root, id);
  const summary = (await logSummary(join(dir, 'log.jsonl'))) ?? EMPTY_LOG;
  const { entries, stride } = thinLog(summary, maxPoints);
  return { id, entries, total: summary.total, stride };
}

// ---------------------------------------------------------------------------------------------- sweeps

async function sweepRows(dir: string): Promise<{ rows: unknown[]; source: SweepSummary['source'] } | null> {
  const aggregate = join(dir, 'results.json');
  if (existsSync(aggregate)) {
    const parsed = await readJsonOrNull(aggregate);
    const rows = Array.isArray(parsed) ? parsed : isPlainObject(parsed) ? parsed.rows : null;
    if (!Array.isArray(rows))
      throw new HttpError(422, `${aggregate}: expected an array of rows or {rows: [...]}`);
    return { rows, source: 'results.json' };
  }
  const results = join(dir, 'results');
  if (!existsSync(results)) return null;
  const names = (await readdir(results)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
  const rows = (await Promise.all(names.map((n) => readJsonOrNull(join(results, n))))).filter(isPlainObject);
  return { rows, source: 'results/' };
}

export async function listSweeps(root: string): Promise<SweepSummary[]> {
  const { sweeps } = await discover(root);
  const out: SweepSummary[] = [];
  for (const id of sweeps) {
    const dir = join(root, ...(id === '.' ? [] : id.split('/')));
    try {
      const found = await sweepRows(dir);
      const times = await Promise.all(
        ['sweep.json', 'results.json', 'results'].map((n) => mtime(join(dir, n))),
      );
      out.push({
        id,
        rows: found?.rows.length ?? 0,
        source: found?.source ?? 'results/',
        modified: new Date(Math.max(...times)).toISOString(),
      });
    } catch {
      // an unreadable results.json: the sweep page reports it
      out.push({ id, rows: 0, source: 'results.json', modified: new Date(0).toISOString() });
    }
  }
  return out;
}

/** Nested objects (hyperparameters, headline) flattened into their keys; a clash keeps the outer name. */
export function flattenRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) if (!isPlainObject(value)) out[key] = value;
  for (const [key, value] of Object.entries(row)) {
    if (!isPlainObject(value)) continue;
    for (const [inner, v] of Object.entries(value)) out[inner in out ? `${key}.${inner}` : inner] = v;
  }
  return out;
}

/**
 * The columns of flattened rows: the rows' own fields first, then the keys of each nested object in the
 * order the objects come (hyperparameters before metrics), each group in first-seen order.
 */
function tableColumns(raw: Record<string, unknown>[], rows: Record<string, unknown>[]): string[] {
  const groups: string[][] = [[]];
  const nested: string[] = [];
  const add = (group: number, key: string) => {
    while (groups.length <= group) groups.push([]);
    if (!groups.some((g) => g.includes(key))) groups[group].push(key);
  };
  raw.forEach((row, i) => {
    const flat = Object.keys(rows[i]);
    for (const [key, value] of Object.entries(row)) {
      if (!isPlainObject(value)) add(0, key);
      else {
        if (!nested.includes(key)) nested.push(key);
        const group = 1 + nested.indexOf(key);
        for (const inner of Object.keys(value)) {
          add(group, flat.includes(`${key}.${inner}`) ? `${key}.${inner}` : inner);
        }
      }
    }
  });
  return groups.flat();
}

export async function sweepDetail(root: string, id: string | null): Promise<SweepDetail> {
  if (id == null || id === '') throw new HttpError(400, 'missing ?id=SWEEP (a sweep folder inside RUNS_DIR)');
  const dir = await resolveInside(root, id === '.' ? [] : pathSegments(id, 'sweep id'));
  const found = await sweepRows(dir);
  if (found == null) throw new HttpError(404, `no sweep "${id}" (no results.json nor results/)`);
  const { runs } = await discover(root);
  const known = new Set(runs);
  const raw = found.rows.filter(isPlainObject);
  const rows = raw.map(flattenRow);
  const columns = tableColumns(raw, rows);
  const runIds = rows.map((row) => {
    const candidates = [
      typeof row.runDir === 'string' ? resolve(dir, row.runDir) : null,
      typeof row.id === 'string' ? join(dir, 'runs', row.id) : null,
    ];
    for (const candidate of candidates) {
      if (candidate == null) continue;
      const rel = relative(root, candidate);
      if (rel.startsWith('..') || rel === '') continue;
      const runId = rel.split(sep).join('/');
      if (known.has(runId)) return runId;
    }
    return null;
  });
  const plots: Record<string, string> = {};
  const plotDir = join(dir, 'plots');
  if (existsSync(plotDir)) {
    for (const name of (await readdir(plotDir)).sort()) {
      if (name.endsWith('.svg') && !name.startsWith('.')) plots[name] = fileUrl(id, 'plots', name);
    }
  }
  return { id, source: found.source, columns, rows, runIds, plots };
}
