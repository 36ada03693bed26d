import { formatNumber } from '../format.ts';

/** KL per latent dim at the end of training as bars, largest first: the active units stand out. */
export function KlBars({ kl, threshold = 0.1 }: { kl: number[]; threshold?: number }) {
  const dims = kl.map((value, dim) => ({ value, dim })).sort((a, b) => b.value - a.value);
  const max = Math.max(1e-9, ...kl);
  const rowHeight = 18;
  const labelWidth = 44;
  const width = 360;
  return (
    <svg
      class="kl-bars"
      width={width}
      height={dims.length * rowHeight + 4}
      role="img"
      aria-label="KL per latent dimension"
    >
      {dims.map(({ value, dim }, i) => {
        const barWidth = ((width - labelWidth - 60) * value) / max;
        const y = i * rowHeight + 2;
        return (
          <g key={dim} class={value < threshold ? 'inactive' : ''}>
            <text x={0} y={y + 13}>{`z${dim}`}</text>
            <rect x={labelWidth} y={y} width={Math.max(1, barWidth)} height={rowHeight - 4} />
            <text x={labelWidth + barWidth + 4} y={y + 13}>
              {formatNumber(value)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
