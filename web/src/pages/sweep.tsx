import { useMemo, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { formatNumber, sortRows } from '../format.ts';
import { href } from '../routes.ts';
import { useAsync } from '../use-async.ts';

/** Columns a table of jobs does not need: the path of a run (linked instead). */
const HIDDEN = new Set(['runDir']);

/** A sweep's aggregate table: one row per job (config and metrics), sortable; rows link to their runs. */
export function SweepPage({ id }: { id: string }) {
  const sweep = useAsync(() => api.sweep(id), [id]);
  const [sort, setSort] = useState<{ column: string; descending: boolean } | null>(null);
  const [chosen, setChosen] = useState<string[]>([]);
  const data = sweep.data;
  const columns = useMemo(() => (data?.columns ?? []).filter((c) => !HIDDEN.has(c)), [data]);
  const rows = useMemo(() => {
    if (data == null) return [];
    const indexed = data.rows.map((row, i) => ({ row, runId: data.runIds[i] }));
    return sort ? sortRows(indexed, (r) => r.row[sort.column], sort.descending) : indexed;
  }, [data, sort]);
  const toggle = (runId: string) =>
    setChosen((previous) =>
      previous.includes(runId) ? previous.filter((x) => x !== runId) : [...previous.slice(-1), runId],
    );
  return (
    <div class="sweep-page">
      <p class="crumbs">
        <a href={href.runs()}>runs</a>
      </p>
      <h1>{`sweep ${id}`}</h1>
      {sweep.error && <p class="error">{sweep.error}</p>}
      {data && (
        <>
          <div class="toolbar">
            <span class="muted">{`${data.rows.length} jobs, from ${data.source}`}</span>
            <a
              class={`button ${chosen.length === 2 ? '' : 'disabled'}`}
              href={chosen.length === 2 ? href.compare(chosen[0], chosen[1]) : undefined}
            >
              compare {chosen.length}/2
            </a>
          </div>
          <div class="table-wrap">
            <table class="sweep">
              <thead>
                <tr>
                  <th />
                  {columns.map((c) => (
                    <th
                      key={c}
                      class="sortable"
                      onClick={() =>
                        setSort((s) => ({ column: c, descending: s?.column === c ? !s.descending : true }))
                      }
                    >
                      {c}
                      {sort?.column === c ? (sort.descending ? ' ▾' : ' ▴') : ''}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map(({ row, runId }, i) => (
                  <tr key={i}>
                    <td>
                      {runId && (
                        <input
                          type="checkbox"
                          aria-label={`choose ${runId} to compare`}
                          checked={chosen.includes(runId)}
                          onChange={() => toggle(runId)}
                        />
                      )}
                    </td>
                    {columns.map((c) => (
                      <td key={c} class={typeof row[c] === 'number' ? 'num' : ''}>
                        {c === 'id' && runId ? (
                          <a href={href.run(runId)}>{String(row[c])}</a>
                        ) : (
                          formatNumber(row[c])
                        )}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {Object.keys(data.plots).length > 0 && (
            <section>
              <h2>Plots</h2>
              <div class="pictures">
                {Object.entries(data.plots).map(([name, url]) => (
                  <figure key={name}>
                    <img src={url} alt={name} loading="lazy" />
                    <figcaption>{name}</figcaption>
                  </figure>
                ))}
              </div>
            </section>
          )}
        </>
      )}
    </div>
  );
}
