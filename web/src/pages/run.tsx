import { useMemo, useState } from 'preact/hooks';
import { isSequenceLayout } from '../../../src/models/latent-layout.ts';
import { api, type LogLine, type RunDetail } from '../api.ts';
import { KlBars } from '../components/kl-bars.tsx';
import { LatentExplorer } from '../components/latent-explorer.tsx';
import { LineChart, type Series } from '../components/line-chart.tsx';
import { MetricsTable } from '../components/metrics-table.tsx';
import { formatNumber, hyperparameters } from '../format.ts';
import { href } from '../routes.ts';
import { useAsync } from '../use-async.ts';

/** Scalar terms of a log, in first-seen order with throughput last: every term gets a chart. */
export function logTerms(entries: LogLine[]): string[] {
  const terms: string[] = [];
  for (const entry of entries) {
    for (const [key, value] of Object.entries(entry)) {
      if (key !== 'step' && typeof value === 'number' && !terms.includes(key)) terms.push(key);
    }
  }
  return [...terms.filter((t) => t !== 'imgPerSec'), ...terms.filter((t) => t === 'imgPerSec')];
}

export function termSeries(entries: LogLine[], term: string): Array<number | null> {
  return entries.map((e) => (typeof e[term] === 'number' ? (e[term] as number) : null));
}

/** A sequence model's latents (latent.json's groups): the explorer decodes images, not these. */
function SequenceLatents({ latent }: { latent: NonNullable<RunDetail['latent']> }) {
  return (
    <section class="sequence-latents">
      <h2>Latent space</h2>
      <p class="muted">
        {`${latent.model}: a sequence model with a ${latent.decoder} decoder; the latent explorer decodes images only.`}
      </p>
      <ul>
        {(latent.groups ?? []).map((g) => (
          <li key={g.name} data-group={g.name}>
            {`${g.name}: ${g.dims} dims, one per ${g.level}, prior mean ${g.priorMean === 'zero' ? '0' : "the sequence's table row (μ2)"}, variance ${g.priorVariance}`}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** One run: its losses, KL per dim, metrics, pictures, config, and the latent explorer. */
export function RunPage({ id }: { id: string }) {
  const detail = useAsync(() => api.run(id), [id]);
  const log = useAsync(() => api.log(id), [id]);
  const [logScale, setLogScale] = useState(false);
  const run = detail.data;
  return (
    <div class="run-page">
      <p class="crumbs">
        <a href={href.runs()}>runs</a>
        {run?.sweep && (
          <>
            {' / '}
            <a href={href.sweep(run.sweep)}>{run.sweep}</a>
          </>
        )}
      </p>
      <h1>{id}</h1>
      {detail.error && <p class="error">{detail.error}</p>}
      {run && <RunHeader run={run} />}
      {run?.latent && isSequenceLayout(run.latent) && <SequenceLatents latent={run.latent} />}
      {run?.latent && !isSequenceLayout(run.latent) && run.checkpoint && <LatentExplorer detail={run} />}
      {run && !run.latent && (
        <p class="muted">The latent explorer knows the models of the model registry only.</p>
      )}
      {run?.latent && !isSequenceLayout(run.latent) && !run.checkpoint && (
        <p class="muted">No checkpoint yet: the explorer needs one.</p>
      )}
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
        {log.error && <p class="error">{log.error}</p>}
        {log.data && log.data.entries.length === 0 && <p class="muted">Nothing logged yet.</p>}
        {log.data && log.data.entries.length > 0 && <LossCharts entries={log.data.entries} log={logScale} />}
        {log.data && log.data.stride > 1 && (
          <p class="muted">{`every ${log.data.stride}th of ${log.data.total} log lines`}</p>
        )}
      </section>
      {log.data && <KlSection entries={log.data.entries} log={logScale} />}
      {run && (
        <section>
          <h2>Metrics</h2>
          <MetricsTable headline={run.headline} metrics={run.metrics} />
        </section>
      )}
      {run && <Pictures run={run} />}
      {run?.report && (
        <section>
          <h2>Report</h2>
          <pre class="report">{run.report}</pre>
        </section>
      )}
      {run?.config && (
        <section>
          <h2>Config</h2>
          <ConfigTable config={run.config} />
        </section>
      )}
    </div>
  );
}

function RunHeader({ run }: { run: RunDetail }) {
  const options = hyperparameters(run.config);
  return (
    <p class="run-header">
      <strong>{run.model ?? '?'}</strong> on <strong>{run.dataset ?? '?'}</strong>
      {options && <span class="chip">{options}</span>}
      <span class="muted">
        {` step ${run.lastStep ?? '–'} / ${run.steps ?? '?'}`}
        {run.lastLosses.total != null && ` · loss ${formatNumber(run.lastLosses.total)}`}
        {run.checkpoint && ` · checkpoint at step ${run.checkpoint.step ?? '?'}`}
      </span>
    </p>
  );
}

export function LossCharts({ entries, log }: { entries: LogLine[]; log: boolean }) {
  const x = useMemo(() => entries.map((e) => e.step), [entries]);
  const terms = useMemo(() => logTerms(entries), [entries]);
  const series = useMemo(
    () =>
      Object.fromEntries(terms.map((t) => [t, [{ label: t, values: termSeries(entries, t) }] as Series[]])),
    [entries, terms],
  );
  return (
    <div class="charts">
      {terms.map((term) => (
        <LineChart key={term} title={term} x={x} series={series[term]} log={log} height={180} />
      ))}
    </div>
  );
}

function KlSection({ entries, log }: { entries: LogLine[]; log: boolean }) {
  const withKl = useMemo(() => entries.filter((e) => Array.isArray(e.klPerDim)), [entries]);
  const x = useMemo(() => withKl.map((e) => e.step), [withKl]);
  const series = useMemo<Series[]>(() => {
    const dims = (withKl.at(-1)?.klPerDim as number[] | undefined)?.length ?? 0;
    return Array.from({ length: dims }, (_, d) => ({
      label: `z${d}`,
      values: withKl.map((e) => (e.klPerDim as number[])[d] ?? null),
    }));
  }, [withKl]);
  if (withKl.length === 0) return null;
  return (
    <section>
      <h2>KL per latent dim</h2>
      <div class="charts">
        <LineChart title="KL per dim (nats)" x={x} series={series} log={log} height={220} />
        <div>
          <h3>{`at step ${withKl.at(-1)!.step}, largest first`}</h3>
          <KlBars kl={withKl.at(-1)!.klPerDim as number[]} />
        </div>
      </div>
    </section>
  );
}

const PICTURE_ORDER = [
  'traversal.png',
  'traversal.gif',
  'reconstructions.png',
  'samples.png',
  'discrete.png',
];

function Pictures({ run }: { run: RunDetail }) {
  const names = Object.keys(run.pictures).sort(
    (a, b) => (PICTURE_ORDER.indexOf(a) + 1 || 99) - (PICTURE_ORDER.indexOf(b) + 1 || 99),
  );
  if (names.length === 0) return null;
  return (
    <section>
      <h2>Pictures</h2>
      <div class="pictures">
        {names.map((name) => (
          <figure key={name}>
            <img src={run.pictures[name]} alt={name} loading="lazy" />
            <figcaption>{name}</figcaption>
          </figure>
        ))}
      </div>
    </section>
  );
}

export function ConfigTable({ config }: { config: Record<string, unknown> }) {
  return (
    <table class="config">
      <tbody>
        {Object.entries(config).map(([key, value]) => (
          <tr key={key}>
            <td>{key}</td>
            <td>{typeof value === 'object' ? JSON.stringify(value) : String(value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
