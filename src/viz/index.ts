export { encodeGif, writeGifAtomic } from './gif.ts';
export {
  type FloatImage,
  GRID_DEFAULTS,
  type GridOptions,
  type ImageBatch,
  imageAt,
  imageGrid,
  reconstructionGrid,
  rowsOf,
  samplesGrid,
} from './image-grid.ts';
export {
  type Decode,
  decodeInBatches,
  decodeTraversal,
  type FrameOptions,
  pingPong,
  TRAVERSAL_DEFAULTS,
  type Traversal,
  type TraversalOptions,
  traversalFrames,
  traversalGrid,
  traversalValues,
} from './traversal.ts';
