/**
 * The rasterised dSprites sprites, one per (shape, scale, orientation), cached and shared by every image.
 *
 * The original's renderer is not public. Its geometry here was measured on 320 original images (the
 * frames of dsprites.gif in the dSprites README, latent traversals from a known start) and reproduces
 * them to ~2% of the lit pixels:
 * - a sprite is centred at (16 + 32 posX, 16 + 32 posY) pixels from the top-left corner (posX along
 *   columns, posY down the rows), so centres span [16, 48] and no sprite ever leaves the image;
 * - sizes are pixels at scale 1, times the scale: square half-side 10 (exactly (20 s)² pixels when
 *   unrotated), ellipse semi-axes 13.2 x 7.6 (wide at orientation 0), heart = two lobes of radius 5.55
 *   at (±4.45, 4.1) over a diamond of half-diagonal 8.45 centred 0.5 below the centre, lobes up;
 * - orientation turns the sprite counter-clockwise on screen;
 * - no anti-aliasing: a pixel is on where one of the shape's convex parts covers at least 40% + 50% x
 *   scale of it (90% at scale 1; small sprites keep more of their edge pixels, as in the original), the
 *   parts drawn separately, which reproduces the original's seams inside rotated hearts.
 * Not reproduced: the original places sprites at fractional pixel positions (steps of 32/31 px); here
 * the centre is rounded to whole pixels so that one cached mask serves all 1024 positions.
 */

/** Inside test in sprite coordinates: pixels at scale 1, v pointing up. */
type Part = (u: number, v: number) => boolean;

const lobe =
  (cx: number): Part =>
  (u, v) =>
    (u - cx) ** 2 + (v - 4.1) ** 2 <= 5.55 ** 2;

const SHAPE_PARTS: Part[][] = [
  [(u, v) => Math.abs(u) <= 10 && Math.abs(v) <= 10],
  [(u, v) => (u / 13.2) ** 2 + (v / 7.6) ** 2 <= 1],
  [lobe(-4.45), lobe(4.45), (u, v) => Math.abs(u) + Math.abs(v + 0.5) <= 8.45],
];

/** The mask is a 32x32 window whose corner (16, 16) is the sprite's centre; every sprite fits in ±15. */
const WINDOW = 32;
const CENTRE = 16;
const SUBSAMPLES = 16;

/**
 * The lit pixels of a sprite (shape 0..2, scale as a value, angle in radians) centred at pixel corner
 * (16, 16) of a 64x64 image, as flat offsets row * 64 + col; centred at (16 + dx, 16 + dy) instead, it
 * lights offset + dy * 64 + dx.
 */
export function rasteriseSprite(shape: number, scale: number, angle: number): Int32Array {
  const parts = SHAPE_PARTS[shape];
  const minCovered = Math.ceil((0.4 + 0.5 * scale) * SUBSAMPLES * SUBSAMPLES);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  // image point (x right, y down, from the centre) -> sprite frame, turning back by the orientation
  const inside = (part: Part, x: number, y: number) =>
    part((cos * x - sin * y) / scale, (-sin * x - cos * y) / scale);
  const lit: number[] = [];
  for (let row = 0; row < WINDOW; row++) {
    const top = row - CENTRE;
    for (let col = 0; col < WINDOW; col++) {
      const left = col - CENTRE;
      if (parts.some((part) => covers(part, left, top, inside, minCovered))) lit.push(row * 64 + col);
    }
  }
  return Int32Array.from(lit);
}

/** Does a convex part cover at least `minCovered` subsamples of the unit pixel at (left, top)? */
function covers(
  part: Part,
  left: number,
  top: number,
  inside: (part: Part, x: number, y: number) => boolean,
  minCovered: number,
): boolean {
  const corners =
    Number(inside(part, left, top)) +
    Number(inside(part, left + 1, top)) +
    Number(inside(part, left, top + 1)) +
    Number(inside(part, left + 1, top + 1));
  // a convex part holding all four corners holds the pixel; one holding none covers little of it
  if (corners === 4) return true;
  if (corners === 0) return false;
  let covered = 0;
  for (let i = 0; i < SUBSAMPLES; i++) {
    const y = top + (i + 0.5) / SUBSAMPLES;
    for (let j = 0; j < SUBSAMPLES; j++) {
      if (inside(part, left + (j + 0.5) / SUBSAMPLES, y)) covered++;
    }
  }
  return covered >= minCovered;
}
