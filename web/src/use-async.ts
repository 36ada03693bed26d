import { useEffect, useState } from 'preact/hooks';

/** The result of a promise-returning call, redone when `deps` change; stale answers are dropped. */
export function useAsync<T>(
  load: () => Promise<T>,
  deps: unknown[],
): { data: T | null; error: string | null } {
  const [state, setState] = useState<{ data: T | null; error: string | null }>({ data: null, error: null });
  useEffect(() => {
    let live = true;
    setState({ data: null, error: null });
    load()
      .then((data) => live && setState({ data, error: null }))
      .catch((err: Error) => live && setState({ data: null, error: err.message }));
    return () => {
      live = false;
    };
  }, deps);
  return state;
}
