import type { WebgpuProgram } from './program.ts';

const WORKGROUP = 256;
const MAX_GROUPS = 65535;

/**
 * A program of one thread per index i < count (`uniforms.count`), 256 to a workgroup, over a 2-D grid of
 * workgroups where count / 256 passes the 65535 limit of one dimension; `body` runs with `i` defined.
 */
export function perIndexProgram(
  key: string,
  variableNames: string[],
  size: number,
  outputShape: number[],
  body: string,
  uniforms: string,
): WebgpuProgram {
  const groups = Math.ceil(size / WORKGROUP);
  const x = Math.min(groups, MAX_GROUPS);
  return {
    variableNames,
    outputShape,
    shaderKey: key,
    dispatchLayout: { x: [], y: [0], z: [] },
    dispatch: [x, Math.ceil(groups / x), 1],
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: `count : i32, ${uniforms}`,
    getUserCode: () => `
      fn main() {
        let i = i32(workgroupId.y * numWorkgroups.x + workgroupId.x) * ${WORKGROUP} + i32(localId.x);
        if (i >= uniforms.count) { return; }
        ${body}
      }`,
  };
}
