/** A typed array type a batch slice may hold. */
type Typed = Float32Array | Int32Array | Uint8Array | Float64Array;

/**
 * One worker's copy of its batch slice in shared memory, reused from step to step: the slice's typed
 * arrays are copied into a SharedArrayBuffer (grown when a slice needs more) and posted as views on it,
 * which a message shares instead of cloning. A fresh copy per step on both sides would count as external
 * memory and set off a full V8 collection every few steps. The next `place` overwrites the views, so call
 * it only after the worker has answered for the previous slice.
 */
export class SharedInbox {
  private buffer = new SharedArrayBuffer(0);

  place<S extends object>(slice: S): S {
    const fields = Object.entries(slice).filter(([, v]) => ArrayBuffer.isView(v)) as [string, Typed][];
    const offsets: number[] = [];
    let bytes = 0;
    for (const [, v] of fields) {
      offsets.push(bytes);
      bytes += Math.ceil(v.byteLength / 8) * 8;
    }
    if (bytes > this.buffer.byteLength) this.buffer = new SharedArrayBuffer(bytes);
    const out = { ...slice } as Record<string, unknown>;
    fields.forEach(([name, v], i) => {
      const Kind = v.constructor as new (b: ArrayBufferLike, offset: number, length: number) => Typed;
      const copy = new Kind(this.buffer, offsets[i], v.length);
      copy.set(v as never);
      out[name] = copy;
    });
    return out as S;
  }
}
