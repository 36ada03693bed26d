import { useMemo, useState } from 'preact/hooks';
import { api, type RunSummary } from '../api.ts';
import { formatNumber, hyperparameters, sortRows } from '../format.ts';
import { href } from '../routes.ts';
import { useAsync } from '../use-async.ts';

interface Column {
  key: string;
  label: string;
  value: (run: RunSummary) => unknown;
  numeric?: boolean;
}

const LOSS_COLUMNS = ['total', 'reconstruction', 'kl'];

/** Every run under RUNS_DIR with its config, progress, last losses and headline metrics; and the sweeps. */
export function RunsPage() {
  const runs = useAsync(() => api.runs(), []);
  const sweeps = useAsync(() => api.sweeps(), []);
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<{ key: string; descending: boolean }>({
    key: 'modified',
    descending: true,
  });
  const [chosen, setChosen] = useState<string[]>([]);

  const columns = useMemo<Column[]>(() => {
    const metricNames = [...new Set((runs.data ?? []).flatMap((r) => Object.keys(r.headline)))];
    return [
      { key: 'id', label: 'run', value: (r) => r.id },
      { key: 'model', label: 'model', value: (r) => r.model },
      { key: 'dataset', label: 'dataset', value: (r) => r.dataset },
      { key: 'options', label: 'options', value: (r) => hyperparameters(r.config) },
      { key: 'latentDim', label: 'z', value: (r) => r.config?.latentDim, numeric: true },
      { key: 'architecture', label: 'net', value: (r) => r.config?.architecture },
      { key: 'seed', label: 'seed', value: (r) => r.config?.seed, numeric: true },
      { key: 'lastStep', label: 'step', value: (r) => r.lastStep, numeric: true },
      ...LOSS_COLUMNS.map((term) => ({
        key: `loss:${term}`,
        label: term,
        value: (r: RunSummary) => r.lastLosses[term],
        numeric: true,
      })),
      ...metricNames.map((name) => ({
        key: `metric:${name}`,
        label: name,
        value: (r: RunSummary) => r.headline[name],
        numeric: true,
      })),
      { key: 'modified', label: 'modified', value: (r) => r.modified },
    ];
  }, [runs.data]);

  const rows = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const shown = (runs.data ?? []).filter(
      (r) =>
        needle === '' ||
        `${r.id} ${r.model} ${r.dataset} ${hyperparameters(r.config)}`.toLowerCase().includes(needle),
    );
    const column = columns.find((c) => c.key === sort.key) ?? columns[0];
    return sortRows(shown, column.value, sort.descending);
  }, [runs.data, filter, sort, columns]);

  const toggle = (id: string) =>
    setChosen((previous) =>
      previous.includes(id) ? previous.filter((x) => x !== id) : [...previous.slice(-1), id],
    );

  return (
    <div class="runs-page">
      <h1>Runs</h1>
      {runs.error && <p class="error">{runs.error}</p>}
      {runs.data && runs.data.length === 0 && (
        <p class="muted">
          No run folders here yet: <code>untangle train --out RUNS_DIR/NAME</code> makes one.
        </p>
      )}
      <div class="toolbar">
        <input
          type="search"
          placeholder="filter by id, model, dataset, options"
          value={filter}
          onInput={(e) => setFilter(e.currentTarget.value)}
        />
        <a
          class={`button ${chosen.length === 2 ? '' : 'disabled'}`}
          href={chosen.length === 2 ? href.compare(chosen[0], chosen[1]) : undefined}
          aria-disabled={chosen.length !== 2}
        >
          compare {chosen.length}/2
        </a>
      </div>
      {runs.data && runs.data.length > 0 && (
        <div class="table-wrap">
          <table class="runs">
            <thead>
              <tr>
                <th />
                {columns.map((c) => (
                  <th
                    key={c.key}
                    class={c.numeric ? 'num sortable' : 'sortable'}
                    onClick={() =>
                      setSort((s) => ({
                        key: c.key,
                        descending: s.key === c.key ? !s.descending : !!c.numeric,
                      }))
                    }
                  >
                    {c.label}
                    {sort.key === c.key ? (sort.descending ? ' ▾' : ' ▴') : ''}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((run) => (
                <tr key={run.id} data-run={run.id}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`choose ${run.id} to compare`}
                      checked={chosen.includes(run.id)}
                      onChange={() => toggle(run.id)}
                    />
                  </td>
                  {columns.map((c) => (
                    <td
                      key={c.key}
                      class={c.numeric ? 'num' : c.key === 'options' ? 'clip' : ''}
                      title={c.key === 'options' ? String(c.value(run)) : undefined}
                    >
                      {c.key === 'id' ? (
                        <a href={href.run(run.id)}>{run.id}</a>
                      ) : c.key === 'lastStep' ? (
                        `${run.lastStep ?? '–'} / ${run.steps ?? '?'}`
                      ) : c.key === 'modified' ? (
                        new Date(run.modified).toLocaleString()
                      ) : (
                        formatNumber(c.value(run))
                      )}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>Sweeps</h2>
      {sweeps.error && <p class="error">{sweeps.error}</p>}
      {sweeps.data && sweeps.data.length === 0 && (
        <p class="muted">
          No sweep folders: <code>untangle sweep SPEC --out RUNS_DIR/NAME</code> makes one.
        </p>
      )}
      {sweeps.data && sweeps.data.length > 0 && (
        <ul class="sweeps">
          {sweeps.data.map((s) => (
            <li key={s.id}>
              <a href={href.sweep(s.id)}>{s.id}</a>{' '}
              <span class="muted">{`${s.rows} finished jobs (${s.source})`}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
