import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatNumber, seriesColor } from '../format.ts';

export interface Series {
  label: string;
  values: Array<number | null>;
  color?: string;
}

interface LineChartProps {
  title: string;
  x: number[];
  series: Series[];
  /** logarithmic y axis: values <= 0 are left out (a log axis cannot show them) */
  log?: boolean;
  height?: number;
  xLabel?: string;
}

/** Curves over training steps (uPlot): one line per series, hover for values, click a legend entry to hide it. */
export function LineChart({ title, x, series, log = false, height = 200, xLabel = 'step' }: LineChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (element == null || x.length === 0) return;
    const values = series.map((s) => (log ? s.values.map((v) => (v != null && v > 0 ? v : null)) : s.values));
    const width = Math.max(240, element.clientWidth || 360);
    const plot = new uPlot(
      {
        title,
        width,
        height,
        scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
        axes: [{ label: xLabel }, { size: 60, values: (_u, ticks) => ticks.map((t) => formatNumber(t)) }],
        series: [
          { label: xLabel },
          ...series.map((s, i) => ({
            label: s.label,
            stroke: s.color ?? seriesColor(i),
            width: 1.5,
            spanGaps: true,
            value: (_u: uPlot, v: number | null) => (v == null ? '–' : formatNumber(v)),
          })),
        ],
        legend: { live: true },
      },
      [x, ...values] as uPlot.AlignedData,
      element,
    );
    return () => plot.destroy();
  }, [title, x, series, log, height, xLabel]);
  return <div class="chart" ref={box} />;
}
