import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { continuousRanges } from '../../../src/models/latent-layout.ts';
import { api, type RunDetail, type SamplesResponse, samplePixels } from '../api.ts';
import { formatNumber } from '../format.ts';
import {
  decode,
  disposeNets,
  encode,
  fullCode,
  type Latent,
  type LoadedNets,
  loadNets,
  toImageData,
} from '../model.ts';

/** Slider positions across a dim's range (an encoded value outside the range is kept, the thumb clamps). */
const SLIDER_STEPS = 800;
/** A dim whose KL is below this (nats) carries almost nothing: shown dimmed. */
const ACTIVE_KL = 0.1;

function draw(canvas: HTMLCanvasElement | null, pixels: Float32Array, shape: [number, number, number]) {
  if (canvas == null) return;
  canvas.width = shape[1];
  canvas.height = shape[0];
  canvas.getContext('2d')!.putImageData(toImageData(pixels, shape), 0, 0);
}

/**
 * The latent explorer: the run's decoder in the browser, one slider per latent dim (sorted by KL), the
 * decoded image redrawn as a slider moves; the encoder sets the sliders from a dataset image.
 */
export function LatentExplorer({ detail }: { detail: RunDetail }) {
  const latent = detail.latent as Latent;
  const [nets, setNets] = useState<LoadedNets | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [z, setZ] = useState<Float32Array>(() => new Float32Array(latent.continuous));
  const [categories, setCategories] = useState<number[]>(() => latent.discrete.map(() => 0));
  const [renders, setRenders] = useState(0);
  const [samples, setSamples] = useState<SamplesResponse | null>(null);
  const [samplesError, setSamplesError] = useState<string | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  // ±4 prior std; a deterministic code's from the shown images' codes once they are encoded
  const [ranges, setRanges] = useState(() => continuousRanges(latent));
  const decoded = useRef<HTMLCanvasElement>(null);
  const original = useRef<HTMLCanvasElement>(null);
  const pending = useRef<Float32Array | null>(null);
  const busy = useRef(false);

  useEffect(() => {
    let live = true;
    let loaded: LoadedNets | null = null;
    loadNets(detail)
      .then((n) => {
        loaded = n;
        if (live) setNets(n);
        else disposeNets(n);
      })
      .catch((err: Error) => live && setError(err.message));
    api
      .samples(detail.id, 16)
      .then((s) => live && setSamples(s))
      .catch((err: Error) => live && setSamplesError(err.message));
    return () => {
      live = false;
      disposeNets(loaded);
    };
  }, [detail.id, detail.checkpoint?.step]);

  // Decodes the newest code; codes that arrive while a decode runs collapse into the latest one.
  const pump = async (loaded: LoadedNets) => {
    busy.current = true;
    try {
      while (pending.current) {
        const code = pending.current;
        pending.current = null;
        const pixels = await decode(loaded, latent, code);
        draw(decoded.current, pixels, loaded.imageShape);
        if (decoded.current) decoded.current.dataset.code = JSON.stringify(Array.from(code));
        setRenders((r) => r + 1);
      }
    } catch (err) {
      setError((err as Error).message);
    } finally {
      busy.current = false;
    }
  };

  useEffect(() => {
    if (nets == null) return;
    pending.current = fullCode(latent, z, categories);
    if (!busy.current) void pump(nets);
  }, [nets, z, categories]);

  const order = useMemo(() => {
    const kl = latent.klPerDim;
    const dims = Array.from({ length: latent.continuous }, (_, d) => d);
    return kl ? dims.sort((a, b) => (kl[b] ?? 0) - (kl[a] ?? 0)) : dims;
  }, [latent]);

  const pixelsOf = useMemo(() => (samples ? samplePixels(samples) : null), [samples]);

  // a deterministic code has no prior to scale the sliders by: use the spread of the images' codes
  useEffect(() => {
    if (latent.code !== 'deterministic' || nets?.encoder == null || samples == null || pixelsOf == null)
      return;
    let live = true;
    const [n, h, w, c] = samples.shape;
    const size = h * w * c;
    Promise.all(
      Array.from({ length: n }, (_, i) => encode(nets, latent, pixelsOf.slice(i * size, (i + 1) * size))),
    )
      .then((codes) => {
        if (!live) return;
        const next = continuousRanges(
          latent,
          codes.map((code) => code.z),
        );
        setRanges(next);
        setZ(Float32Array.from(next, ([low, high]) => (low + high) / 2));
      })
      .catch((err: Error) => live && setError(err.message));
    return () => {
      live = false;
    };
  }, [nets, pixelsOf]);

  const encodeSample = async (i: number) => {
    if (nets == null || samples == null || pixelsOf == null) return;
    const [, h, w, c] = samples.shape;
    const x = pixelsOf.slice(i * h * w * c, (i + 1) * h * w * c);
    try {
      const code = await encode(nets, latent, x);
      setSelected(i);
      draw(original.current, x, [h, w, c]);
      setZ(code.z);
      setCategories(code.categories);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  const setDim = (d: number, value: number) =>
    setZ((previous) => {
      const next = previous.slice();
      next[d] = value;
      return next;
    });

  return (
    <section class="explorer" data-ready={nets != null && renders > 0 ? 'true' : 'false'}>
      <h2>Latent explorer</h2>
      {error && <p class="error">{error}</p>}
      {!nets && !error && <p class="muted">loading the run's decoder and encoder with tfjs…</p>}
      <div class="explorer-body">
        <div class="explorer-images">
          <figure>
            <canvas
              ref={decoded}
              class="decoded"
              width={64}
              height={64}
              data-renders={renders}
              data-backend={nets?.backend ?? ''}
            />
            <figcaption>decoded{nets ? ` (tfjs ${nets.backend})` : ''}</figcaption>
          </figure>
          <figure class={selected == null ? 'empty' : ''}>
            <canvas ref={original} class="original" width={64} height={64} />
            <figcaption>{selected == null ? 'pick an image below' : `image ${selected}, encoded`}</figcaption>
          </figure>
        </div>
        <div class="sliders">
          <div class="slider-tools">
            <button
              type="button"
              onClick={() => setZ(Float32Array.from(ranges, ([low, high]) => (low + high) / 2))}
            >
              {latent.code === 'deterministic' ? 'centre (the images’ mean code)' : 'all zero'}
            </button>
            <span class="muted">dims sorted by KL (nats, last logged step)</span>
          </div>
          {order.map((d) => {
            const kl = latent.klPerDim?.[d];
            return (
              <label key={d} class={`slider ${kl != null && kl < ACTIVE_KL ? 'inactive' : ''}`}>
                <span class="dim">z{d}</span>
                <span class="kl">{kl == null ? '' : formatNumber(kl)}</span>
                <input
                  type="range"
                  min={ranges[d][0]}
                  max={ranges[d][1]}
                  step={(ranges[d][1] - ranges[d][0]) / SLIDER_STEPS}
                  value={z[d]}
                  data-dim={d}
                  disabled={nets == null}
                  onInput={(e) => setDim(d, Number(e.currentTarget.value))}
                />
                <span class="value">{z[d].toFixed(2)}</span>
              </label>
            );
          })}
          {latent.discrete.map(({ size: k }, j) => (
            <label key={`c${j}`} class="slider">
              <span class="dim">c{j}</span>
              <span class="kl" />
              <select
                value={String(categories[j])}
                disabled={nets == null}
                onChange={(e) => {
                  const next = [...categories];
                  next[j] = Number(e.currentTarget.value);
                  setCategories(next);
                }}
              >
                {Array.from({ length: k }, (_, c) => (
                  <option key={c} value={String(c)}>{`category ${c}`}</option>
                ))}
              </select>
            </label>
          ))}
        </div>
      </div>
      <h3>Encode a dataset image</h3>
      {samplesError && <p class="muted">{samplesError}</p>}
      {samples && pixelsOf && (
        <div class="samples">
          {samples.factors.map((factors, i) => (
            <SampleThumb
              key={i}
              index={i}
              pixels={pixelsOf}
              samples={samples}
              title={samples.factorNames.map((name, f) => `${name} ${factors[f]}`).join(', ')}
              selected={selected === i}
              disabled={nets?.encoder == null}
              onPick={encodeSample}
            />
          ))}
        </div>
      )}
    </section>
  );
}

function SampleThumb(props: {
  index: number;
  pixels: Float32Array;
  samples: SamplesResponse;
  title: string;
  selected: boolean;
  disabled: boolean;
  onPick: (i: number) => void;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [, h, w, c] = props.samples.shape;
  useEffect(() => {
    const size = h * w * c;
    draw(canvas.current, props.pixels.subarray(props.index * size, (props.index + 1) * size), [h, w, c]);
  }, [props.pixels, props.index]);
  return (
    <button
      type="button"
      class={`sample ${props.selected ? 'selected' : ''}`}
      title={props.title}
      data-index={props.index}
      disabled={props.disabled}
      onClick={() => props.onPick(props.index)}
    >
      <canvas ref={canvas} class="thumb" width={w} height={h} />
    </button>
  );
}
