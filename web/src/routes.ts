/** Routes live in the hash (#/run/ID), so the server serves one page and any run id fits. */
export type Route =
  | { page: 'runs' }
  | { page: 'run'; id: string }
  | { page: 'sweep'; id: string }
  | { page: 'compare'; a: string; b: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const [head, ...rest] = path.split('/');
  const tail = decodeURIComponent(rest.join('/'));
  if (head === 'run' && tail) return { page: 'run', id: tail };
  if (head === 'sweep' && tail) return { page: 'sweep', id: tail };
  if (head.startsWith('compare')) {
    const params = new URLSearchParams(path.slice(path.indexOf('?') + 1));
    return { page: 'compare', a: params.get('a') ?? '', b: params.get('b') ?? '' };
  }
  return { page: 'runs' };
}

export const href = {
  runs: () => '#/',
  run: (id: string) => `#/run/${encodeURIComponent(id)}`,
  sweep: (id: string) => `#/sweep/${encodeURIComponent(id)}`,
  compare: (a: string, b: string) => `#/compare?${new URLSearchParams({ a, b })}`,
};
