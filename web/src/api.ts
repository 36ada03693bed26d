import type {
  ApiError,
  LogResponse,
  RunDetail,
  RunSummary,
  SamplesResponse,
  SweepDetail,
  SweepSummary,
} from '../../src/server/api-types.ts';

export type {
  LogLine,
  LogResponse,
  RunDetail,
  RunSummary,
  SamplesResponse,
  SweepDetail,
  SweepSummary,
} from '../../src/server/api-types.ts';

/** GET a JSON route of the dashboard API; a 4xx/5xx becomes an Error carrying the server's message. */
async function get<T>(path: string, params: Record<string, string | number> = {}): Promise<T> {
  const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
  const response = await fetch(`${path}${query ? `?${query}` : ''}`);
  const body = (await response.json().catch(() => ({ error: response.statusText }))) as T | ApiError;
  if (!response.ok) throw new Error((body as ApiError).error ?? `${response.status} ${response.statusText}`);
  return body as T;
}

export const api = {
  runs: () => get<{ runs: RunSummary[] }>('/api/runs').then((r) => r.runs),
  run: (id: string) => get<RunDetail>('/api/run', { id }),
  log: (id: string, maxPoints = 2000) => get<LogResponse>('/api/run/log', { id, maxPoints }),
  samples: (id: string, n = 16) => get<SamplesResponse>('/api/run/samples', { id, n }),
  sweeps: () => get<{ sweeps: SweepSummary[] }>('/api/sweeps').then((r) => r.sweeps),
  sweep: (id: string) => get<SweepDetail>('/api/sweep', { id }),
};

/** The float32 pixels of a samples response ([n, h, w, c], little-endian base64). */
export function samplePixels(samples: SamplesResponse): Float32Array {
  const bytes = Uint8Array.from(atob(samples.data), (ch) => ch.charCodeAt(0));
  return new Float32Array(bytes.buffer);
}
