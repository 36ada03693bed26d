import type * as vegaLite from 'vega-lite';
import { vegaLiteToSvg } from './vega-render.ts';

/** One plotted code: its 2-D position and its class, by name. */
export interface LabelledPoint {
  x: number;
  y: number;
  label: string;
}

export interface ScatterOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** the legend's title, e.g. the factor's name (`digit`) */
  legendTitle?: string;
  /** the classes in legend order (all of them, so colours stay fixed across runs) */
  classNames: readonly string[];
  /** plot side in pixels */
  size?: number;
}

/** Rows [n, 2] of positions and their labels (indices into classNames) as plotted points. */
export function labelledPoints(
  positions: ArrayLike<number>,
  labels: ArrayLike<number>,
  classNames: readonly string[],
): LabelledPoint[] {
  if (positions.length !== 2 * labels.length) {
    throw new RangeError(`${positions.length} coordinates for ${labels.length} labels, expected 2 per label`);
  }
  return Array.from(labels, (label, i) => {
    const name = classNames[label];
    if (name === undefined)
      throw new RangeError(`label ${label} has no class name (${classNames.length} classes)`);
    return { x: positions[2 * i], y: positions[2 * i + 1], label: name };
  });
}

/** A Vega-Lite scatter of labelled points, coloured by class with a legend. */
export function scatterSpec(
  points: readonly LabelledPoint[],
  options: ScatterOptions,
): vegaLite.TopLevelSpec {
  const { title, xTitle = 'z1', yTitle = 'z2', legendTitle = 'class', classNames, size = 420 } = options;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    ...(title ? { title } : {}),
    width: size,
    height: size,
    background: 'white',
    data: { values: points as LabelledPoint[] },
    mark: { type: 'circle', size: 12, opacity: 0.75 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xTitle, scale: { zero: false, nice: true } },
      y: { field: 'y', type: 'quantitative', title: yTitle, scale: { zero: false, nice: true } },
      color: {
        field: 'label',
        type: 'nominal',
        title: legendTitle,
        scale: { domain: [...classNames], scheme: classNames.length <= 10 ? 'category10' : 'category20' },
      },
    },
  };
}

/** The scatter as a standalone SVG, rendered headless by Vega. */
export function scatterSvg(points: readonly LabelledPoint[], options: ScatterOptions): Promise<string> {
  return vegaLiteToSvg(scatterSpec(points, options));
}
