import { useMemo, useState } from 'preact/hooks';
import { api, type LogResponse, type RunDetail } from '../api.ts';
import { KlBars } from '../components/kl-bars.tsx';
import { LineChart, type Series } from '../components/line-chart.tsx';
import { formatNumber } from '../format.ts';
import { href } from '../routes.ts';
import { useAsync } from '../use-async.ts';
import { logTerms, termSeries } from './run.tsx';

const SIDE_COLORS = ['#1f77b4', '#d62728'];

function show(value: unknown): string {
  return value === undefined ? '–' : typeof value === 'object' ? JSON.stringify(value) : formatNumber(value);
}

/** Two runs side by side: config differences, losses on shared axes, metrics, KL per dim, pictures. */
export function ComparePage({ a, b }: { a: string; b: string }) {
  const both = useAsync(() => Promise.all([api.run(a), api.run(b), api.log(a), api.log(b)]), [a, b]);
  const [logScale, setLogScale] = useState(false);
  const [onlyDifferent, setOnlyDifferent] = useState(true);
  if (!a || !b) return <p class="error">compare needs two runs: #/compare?a=RUN&amp;b=RUN</p>;
  const data = both.data;
  return (
    <div class="compare-page">
      <p class="crumbs">
        <a href={href.runs()}>runs</a>
      </p>
      <h1>Compare</h1>
      {both.error && <p class="error">{both.error}</p>}
      {data && (
        <>
          <div class="compare-heads">
            {[data[0], data[1]].map((run, side) => (
              <h2 key={run.id} style={{ color: SIDE_COLORS[side] }}>
                <a href={href.run(run.id)}>{run.id}</a>
              </h2>
            ))}
          </div>
          <section>
            <h2>
              Config{' '}
              <label class="toggle">
                <input
                  type="checkbox"
                  checked={onlyDifferent}
                  onChange={(e) => setOnlyDifferent(e.currentTarget.checked)}
                />{' '}
                only differences
              </label>
            </h2>
            <ConfigDiff a={data[0]} b={data[1]} onlyDifferent={onlyDifferent} />
          </section>
          <section>
            <h2>Metrics and last losses</h2>
            <NumbersDiff a={data[0]} b={data[1]} />
          </section>
          <section>
            <h2>
              Loss curves{' '}
              <label class="toggle">
                <input
                  type="checkbox"
                  checked={logScale}
                  onChange={(e) => setLogScale(e.currentTarget.checked)}
                />{' '}
                log scale
              </label>
            </h2>
            <SharedCharts logA={data[2]} logB={data[3]} a={a} b={b} log={logScale} />
          </section>
          <section>
            <h2>KL per latent dim (last logged step)</h2>
            <div class="side-by-side">
              {[data[0], data[1]].map((run) => (
                <div key={run.id}>
                  {run.latent?.klPerDim ? (
                    <KlBars kl={run.latent.klPerDim} />
                  ) : (
                    <p class="muted">no KL logged</p>
                  )}
                </div>
              ))}
            </div>
          </section>
          <section>
            <h2>Pictures</h2>
            {['traversal.png', 'reconstructions.png', 'samples.png'].map((name) => (
              <div class="side-by-side" key={name}>
                {[data[0], data[1]].map((run) => (
                  <figure key={run.id}>
                    {run.pictures[name] ? (
                      <img src={run.pictures[name]} alt={`${run.id} ${name}`} />
                    ) : (
                      <p class="muted">none</p>
                    )}
                    <figcaption>{`${run.id}: ${name}`}</figcaption>
                  </figure>
                ))}
              </div>
            ))}
          </section>
        </>
      )}
    </div>
  );
}

function flatConfig(run: RunDetail): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(run.config ?? {})) {
    if (key === 'modelOptions' && value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) out[`modelOptions.${k}`] = v;
    } else out[key] = value;
  }
  return out;
}

function ConfigDiff({ a, b, onlyDifferent }: { a: RunDetail; b: RunDetail; onlyDifferent: boolean }) {
  const [ca, cb] = [flatConfig(a), flatConfig(b)];
  const keys = [...new Set([...Object.keys(ca), ...Object.keys(cb)])];
  const rows = keys.filter((k) => !onlyDifferent || JSON.stringify(ca[k]) !== JSON.stringify(cb[k]));
  if (rows.length === 0) return <p class="muted">The configs are identical.</p>;
  return (
    <table class="compare">
      <thead>
        <tr>
          <th>key</th>
          <th>{a.id}</th>
          <th>{b.id}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((k) => (
          <tr key={k} class={JSON.stringify(ca[k]) !== JSON.stringify(cb[k]) ? 'differs' : ''}>
            <td>{k}</td>
            <td>{show(ca[k])}</td>
            <td>{show(cb[k])}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function NumbersDiff({ a, b }: { a: RunDetail; b: RunDetail }) {
  const rows: Array<[string, number | undefined, number | undefined]> = [];
  for (const source of ['headline', 'lastLosses'] as const) {
    const keys = [...new Set([...Object.keys(a[source]), ...Object.keys(b[source])])];
    for (const k of keys) rows.push([source === 'headline' ? k : `loss: ${k}`, a[source][k], b[source][k]]);
  }
  return (
    <table class="compare">
      <thead>
        <tr>
          <th />
          <th>{a.id}</th>
          <th>{b.id}</th>
          <th>b − a</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([name, x, y]) => (
          <tr key={name}>
            <td>{name}</td>
            <td class="num">{show(x)}</td>
            <td class="num">{show(y)}</td>
            <td class="num">{x != null && y != null ? formatNumber(y - x) : ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Each term both runs log, on one chart: the two runs' steps merged into one x axis. */
function SharedCharts(props: { logA: LogResponse; logB: LogResponse; a: string; b: string; log: boolean }) {
  const { logA, logB, a, b, log } = props;
  const charts = useMemo(() => {
    const ids = [a, b];
    const [ea, eb] = [logA.entries, logB.entries];
    const shared = logTerms(ea).filter((t) => logTerms(eb).includes(t));
    const x = [...new Set([...ea.map((e) => e.step), ...eb.map((e) => e.step)])].sort((p, q) => p - q);
    const align = (entries: typeof ea, term: string) => {
      const values = termSeries(entries, term);
      const byStep = new Map(entries.map((e, i) => [e.step, values[i]]));
      return x.map((step) => byStep.get(step) ?? null);
    };
    return shared.map((term) => ({
      term,
      x,
      series: [0, 1].map((side) => ({
        label: ids[side],
        values: align(side === 0 ? ea : eb, term),
        color: SIDE_COLORS[side],
      })) as Series[],
    }));
  }, [logA, logB, a, b]);
  if (charts.length === 0) return <p class="muted">The runs log no term in common.</p>;
  return (
    <div class="charts">
      {charts.map((c) => (
        <LineChart key={c.term} title={c.term} x={c.x} series={c.series} log={log} height={180} />
      ))}
    </div>
  );
}
