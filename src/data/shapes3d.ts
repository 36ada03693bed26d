import type { Rng } from '../engine/rng.ts';
import { type GroundTruthData, observationArray } from './ground-truth.ts';

/**
 * A procedural 3D-shapes scene after Burgess & Kim (2018): an object on a floor before a back wall, seen
 * in perspective, lit by one directional light (Lambert shading, with the object's shadow). Factors in the
 * original's order: floor hue 10 x wall hue 10 x object hue 10 x scale 8 (0.75..1.25) x shape 4 (cube,
 * cylinder, sphere, capsule) x orientation 15 (-30°..30° about the vertical axis) = 480,000 RGB 64x64
 * images, orientation fastest. Our own renderer, not the original's pixels. As in the original, turning a
 * sphere or an upright cylinder about the vertical axis does not change its image; the capsule lies on
 * its side, so it shows its orientation like the cube.
 */
export const SHAPES3D_FACTOR_NAMES = [
  'floorHue',
  'wallHue',
  'objectHue',
  'scale',
  'shape',
  'orientation',
] as const;
export const SHAPES3D_FACTOR_SIZES = [10, 10, 10, 8, 4, 15] as const;
/** index = dot(factors, SHAPES3D_BASES) */
export const SHAPES3D_BASES = [48_000, 4800, 480, 60, 15, 1] as const;
export const SHAPES3D_SIZE = 480_000;
export const SHAPES3D_SHAPES = ['cube', 'cylinder', 'sphere', 'capsule'] as const;

const linspace = (a: number, b: number, n: number) =>
  Array.from({ length: n }, (_, i) => (i === n - 1 ? b : i * ((b - a) / (n - 1)) + a));
export const SHAPES3D_VALUES = {
  /** numpy.linspace(0, 1, 10, endpoint=False): HSV hues at full saturation and value */
  hue: Array.from({ length: 10 }, (_, i) => i / 10),
  scale: linspace(0.75, 1.25, 8),
  /** degrees */
  orientation: linspace(-30, 30, 15),
};

const SIDE = 64;
const PIXELS = SIDE * SIDE;
/** 2x2 samples per pixel smooth the edges */
const SUB = 2;

function checkFactors(f: ArrayLike<number>, offset = 0): void {
  for (let k = 0; k < 6; k++) {
    const v = f[offset + k];
    if (!Number.isInteger(v) || v < 0 || v >= SHAPES3D_FACTOR_SIZES[k]) {
      throw new RangeError(
        `shapes3d: factor ${SHAPES3D_FACTOR_NAMES[k]} = ${v}, expected an integer in [0, ${SHAPES3D_FACTOR_SIZES[k]})`,
      );
    }
  }
}

export function indexOfFactors(f: ArrayLike<number>): number {
  checkFactors(f);
  let index = 0;
  for (let k = 0; k < 6; k++) index += f[k] * SHAPES3D_BASES[k];
  return index;
}

export function factorsOfIndex(index: number): number[] {
  if (!Number.isInteger(index) || index < 0 || index >= SHAPES3D_SIZE) {
    throw new RangeError(`shapes3d: index ${index}, expected an integer in [0, ${SHAPES3D_SIZE})`);
  }
  return SHAPES3D_BASES.map((base, k) => Math.floor(index / base) % SHAPES3D_FACTOR_SIZES[k]);
}

/** HSV (s = v = 1) to RGB in [0, 1]. */
export function hueToRgb(h: number): [number, number, number] {
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return 1 - Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [f(5), f(3), f(1)];
}

// ---- the scene: floor y = 0, back wall z = WALL_Z, object standing at the origin ----
type Vec = [number, number, number];
const norm = (v: Vec): Vec => {
  const l = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / l, v[1] / l, v[2] / l];
};
const WALL_Z = 2.2;
const CAMERA: Vec = [0, 2.3, -5.4];
const TARGET: Vec = [0, 0.8, 0];
const TAN_HALF_FOV = Math.tan((34 / 2) * (Math.PI / 180));
/** towards the light: above, left, in front */
const LIGHT = norm([-0.45, 1, -0.55]);
const AMBIENT = 0.42;
const DIFFUSE = 1 - AMBIENT;
const SHADOW = 0.6;
const FLOOR = 0;
const WALL = 1;
const OBJECT = 2;
/** Lambert shade of the floor (normal up) and of the wall (normal towards the camera, -z) */
const SURFACE_SHADE = [AMBIENT + DIFFUSE * LIGHT[1], AMBIENT + DIFFUSE * -LIGHT[2]];

/** Every sub-sample's ray direction and where it meets the floor or the wall (the camera never moves). */
const RAYS = (() => {
  const n = PIXELS * SUB * SUB;
  const dir = new Float64Array(n * 3);
  const t = new Float64Array(n);
  const surface = new Uint8Array(n);
  const f = norm([TARGET[0] - CAMERA[0], TARGET[1] - CAMERA[1], TARGET[2] - CAMERA[2]]);
  const r = norm([f[2], 0, -f[0]]); // up x forward
  const u: Vec = [f[1] * r[2] - f[2] * r[1], f[2] * r[0] - f[0] * r[2], f[0] * r[1] - f[1] * r[0]];
  for (let row = 0; row < SIDE * SUB; row++) {
    for (let col = 0; col < SIDE * SUB; col++) {
      const x = (((col + 0.5) / (SIDE * SUB)) * 2 - 1) * TAN_HALF_FOV;
      const y = (1 - ((row + 0.5) / (SIDE * SUB)) * 2) * TAN_HALF_FOV;
      const d = norm([f[0] + x * r[0] + y * u[0], f[1] + x * r[1] + y * u[1], f[2] + x * r[2] + y * u[2]]);
      // sub-samples of one pixel are consecutive
      const i =
        ((Math.floor(row / SUB) * SIDE + Math.floor(col / SUB)) * SUB + (row % SUB)) * SUB + (col % SUB);
      dir.set(d, i * 3);
      const tFloor = d[1] < 0 ? -CAMERA[1] / d[1] : Infinity;
      const tWall = (WALL_Z - CAMERA[2]) / d[2];
      surface[i] = tFloor < tWall ? FLOOR : WALL;
      t[i] = Math.min(tFloor, tWall);
    }
  }
  return { dir, t, surface };
})();

/** An object's nearest hit along o + t d (t > 1e-6) in its own frame: t and the normal, or null. */
type Hit = { t: number; n: Vec } | null;

function hitBox(o: Vec, d: Vec, a: number): Hit {
  const lo = [-a, 0, -a];
  const hi = [a, 2 * a, a];
  let near = -Infinity;
  let far = Infinity;
  let axis = 0;
  let sign = 0;
  for (let k = 0; k < 3; k++) {
    if (Math.abs(d[k]) < 1e-12) {
      if (o[k] < lo[k] || o[k] > hi[k]) return null;
      continue;
    }
    let t1 = (lo[k] - o[k]) / d[k];
    let t2 = (hi[k] - o[k]) / d[k];
    let s = -1;
    if (t1 > t2) {
      [t1, t2] = [t2, t1];
      s = 1;
    }
    if (t1 > near) {
      near = t1;
      axis = k;
      sign = s;
    }
    far = Math.min(far, t2);
  }
  if (near > far || near <= 1e-6) return null;
  const n: Vec = [0, 0, 0];
  n[axis] = sign;
  return { t: near, n };
}

/** Smaller root of a t^2 + b t + c = 0 that is > 1e-6, else the larger, else NaN. */
function root(a: number, b: number, c: number): number {
  const disc = b * b - 4 * a * c;
  if (disc < 0 || a < 1e-12) return Number.NaN;
  const s = Math.sqrt(disc);
  const t1 = (-b - s) / (2 * a);
  if (t1 > 1e-6) return t1;
  const t2 = (-b + s) / (2 * a);
  return t2 > 1e-6 ? t2 : Number.NaN;
}

function hitSphere(o: Vec, d: Vec, c: Vec, r: number): Hit {
  const p: Vec = [o[0] - c[0], o[1] - c[1], o[2] - c[2]];
  const t = root(
    1,
    2 * (p[0] * d[0] + p[1] * d[1] + p[2] * d[2]),
    p[0] * p[0] + p[1] * p[1] + p[2] * p[2] - r * r,
  );
  if (!(t > 0)) return null;
  return { t, n: [(p[0] + t * d[0]) / r, (p[1] + t * d[1]) / r, (p[2] + t * d[2]) / r] };
}

function hitCylinder(o: Vec, d: Vec, r: number, h: number): Hit {
  let best: Hit = null;
  const t = root(
    d[0] * d[0] + d[2] * d[2],
    2 * (o[0] * d[0] + o[2] * d[2]),
    o[0] * o[0] + o[2] * o[2] - r * r,
  );
  const y = o[1] + t * d[1];
  if (t > 0 && y >= 0 && y <= h) best = { t, n: [(o[0] + t * d[0]) / r, 0, (o[2] + t * d[2]) / r] };
  if (Math.abs(d[1]) > 1e-12) {
    const tc = (h - o[1]) / d[1];
    const x = o[0] + tc * d[0];
    const z = o[2] + tc * d[2];
    if (tc > 1e-6 && x * x + z * z <= r * r && (best === null || tc < best.t)) best = { t: tc, n: [0, 1, 0] };
  }
  return best;
}

/** A capsule lying along its x axis: segment x in [-half, half] at height r, radius r. */
function hitCapsule(o: Vec, d: Vec, r: number, half: number): Hit {
  let best: Hit = null;
  const oy = o[1] - r;
  const t = root(d[1] * d[1] + d[2] * d[2], 2 * (oy * d[1] + o[2] * d[2]), oy * oy + o[2] * o[2] - r * r);
  const x = o[0] + t * d[0];
  if (t > 0 && Math.abs(x) <= half) best = { t, n: [0, (oy + t * d[1]) / r, (o[2] + t * d[2]) / r] };
  for (const end of [-half, half]) {
    const cap = hitSphere(o, d, [end, r, 0], r);
    if (cap && (best === null || cap.t < best.t)) best = cap;
  }
  return best;
}

/** The object of (scale, shape, orientation) as a ray test in world coordinates. */
function objectOf(scale: number, shape: number, orientation: number): (o: Vec, d: Vec) => Hit {
  const s = SHAPES3D_VALUES.scale[scale];
  const angle = (SHAPES3D_VALUES.orientation[orientation] * Math.PI) / 180;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  // world -> object frame: rotate by -angle about y; normals back by +angle
  const toLocal = (v: Vec): Vec => [v[0] * cos - v[2] * sin, v[1], v[0] * sin + v[2] * cos];
  const toWorld = (v: Vec): Vec => [v[0] * cos + v[2] * sin, v[1], -v[0] * sin + v[2] * cos];
  const local = [
    (o: Vec, d: Vec) => hitBox(o, d, 0.5 * s),
    (o: Vec, d: Vec) => hitCylinder(o, d, 0.5 * s, s),
    (o: Vec, d: Vec) => hitSphere(o, d, [0, 0.5 * s, 0], 0.5 * s),
    (o: Vec, d: Vec) => hitCapsule(o, d, 0.32 * s, 0.45 * s),
  ][shape];
  // bounding sphere around every shape: centre (0, s/2, 0), radius s * sqrt(3)/2 (the cube's corners)
  const cy = 0.5 * s;
  const radius2 = 0.75 * s * s + 1e-9;
  return (o, d) => {
    const py = o[1] - cy;
    const b = o[0] * d[0] + py * d[1] + o[2] * d[2];
    const c = o[0] * o[0] + py * py + o[2] * o[2] - radius2;
    if (b * b - c < 0 || (b > 0 && c > 0)) return null;
    const hit = local(toLocal(o), toLocal(d));
    return hit && { t: hit.t, n: toWorld(hit.n) };
  };
}

/**
 * What a geometry (scale, shape, orientation) looks like before colour: per pixel, the shade-weighted
 * coverage of floor, wall and object ([PIXELS, 3]); a pixel's colour is the sum of each surface's hue
 * times its weight. Built on first use; 480 geometries at most (48 KiB each).
 */
const geometries: (Float32Array | undefined)[] = new Array(8 * 4 * 15);
function geometryOf(scale: number, shape: number, orientation: number): Float32Array {
  const key = (scale * 4 + shape) * 15 + orientation;
  const cached = geometries[key];
  if (cached) return cached;
  const object = objectOf(scale, shape, orientation);
  const { dir, t: tBackground, surface } = RAYS;
  const weights = new Float32Array(PIXELS * 3);
  const perSample = 1 / (SUB * SUB);
  for (let i = 0; i < PIXELS * SUB * SUB; i++) {
    const d: Vec = [dir[3 * i], dir[3 * i + 1], dir[3 * i + 2]];
    const hit = object(CAMERA, d);
    let what: number;
    let shade: number;
    if (hit && hit.t < tBackground[i]) {
      what = OBJECT;
      const lambert = hit.n[0] * LIGHT[0] + hit.n[1] * LIGHT[1] + hit.n[2] * LIGHT[2];
      shade = AMBIENT + DIFFUSE * Math.max(0, lambert);
    } else {
      what = surface[i];
      const t = tBackground[i];
      const p: Vec = [CAMERA[0] + t * d[0], CAMERA[1] + t * d[1], CAMERA[2] + t * d[2]];
      shade = SURFACE_SHADE[what] * (object(p, LIGHT) ? SHADOW : 1);
    }
    weights[Math.floor(i / (SUB * SUB)) * 3 + what] += shade * perSample;
  }
  geometries[key] = weights;
  return weights;
}

const HUE_RGB = SHAPES3D_VALUES.hue.map(hueToRgb);

/** Renders one factor row (factors[offset .. offset + 6]) as a 64x64x3 image into out[outOffset ..]. */
export function renderShapes3d(
  factors: ArrayLike<number>,
  out: Float32Array,
  outOffset = 0,
  offset = 0,
): void {
  checkFactors(factors, offset);
  const f = (k: number) => factors[offset + k];
  const weights = geometryOf(f(3), f(4), f(5));
  const floor = HUE_RGB[f(0)];
  const wall = HUE_RGB[f(1)];
  const object = HUE_RGB[f(2)];
  for (let p = 0; p < PIXELS; p++) {
    const wf = weights[3 * p];
    const ww = weights[3 * p + 1];
    const wo = weights[3 * p + 2];
    const o = outOffset + 3 * p;
    // the sum of weights is at most 1; the clamp only guards float rounding
    out[o] = Math.min(1, wf * floor[0] + ww * wall[0] + wo * object[0]);
    out[o + 1] = Math.min(1, wf * floor[1] + ww * wall[1] + wo * object[1]);
    out[o + 2] = Math.min(1, wf * floor[2] + ww * wall[2] + wo * object[2]);
  }
}

/** The image at flat index `index` (64x64x3 floats in [0, 1]). */
export function renderImage(index: number, out = new Float32Array(PIXELS * 3), offset = 0): Float32Array {
  renderShapes3d(factorsOfIndex(index), out, offset);
  return out;
}

export function createShapes3d(): GroundTruthData & { readonly numObservations: number } {
  return {
    name: 'shapes3d',
    factorNames: SHAPES3D_FACTOR_NAMES,
    factorSizes: SHAPES3D_FACTOR_SIZES,
    observationShape: [SIDE, SIDE, 3],
    deterministic: true,
    numObservations: SHAPES3D_SIZE,
    sampleFactors(n: number, rng: Rng): Int32Array {
      const out = new Int32Array(n * 6);
      for (let i = 0; i < n * 6; i++) out[i] = rng.int(SHAPES3D_FACTOR_SIZES[i % 6]);
      return out;
    },
    sampleObservationsFromFactors(factors: Int32Array, _rng?: Rng, target?: Float32Array): Float32Array {
      if (factors.length % 6 !== 0)
        throw new RangeError(`shapes3d: ${factors.length} factor values, expected rows of 6`);
      const n = factors.length / 6;
      const out = observationArray('shapes3d', n * PIXELS * 3, target);
      for (let i = 0; i < n; i++) renderShapes3d(factors, out, i * PIXELS * 3, i * 6);
      return out;
    },
  };
}
