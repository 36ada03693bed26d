/** Jobs done/running/failed with an ETA, one line per change (sweeps run for hours; a line each is enough). */
export function sweepProgress(
  total: number,
  alreadyDone: number,
  stream: NodeJS.WriteStream = process.stderr,
) {
  const began = Date.now();
  let done = alreadyDone;
  let running = 0;
  let failed = 0;
  let finishedHere = 0;
  const print = (note = '') => {
    const elapsed = (Date.now() - began) / 1000;
    const left = total - done - failed;
    const eta = finishedHere > 0 ? Math.round((elapsed / finishedHere) * left) : null;
    stream.write(
      `sweep: ${done}/${total} done, ${running} running, ${failed} failed${eta == null ? '' : `, ETA ${eta}s`}${note ? ` — ${note}` : ''}\n`,
    );
  };
  print(alreadyDone > 0 ? `${alreadyDone} finished earlier` : '');
  return {
    started() {
      running++;
      print();
    },
    finished() {
      running--;
      done++;
      finishedHere++;
      print();
    },
    failed(note: string) {
      running--;
      failed++;
      print(note);
    },
    /** for a queue: counts observed from outside */
    set(counts: { done: number; running: number; failed: number }) {
      if (counts.done === done && counts.running === running && counts.failed === failed) return;
      finishedHere += Math.max(0, counts.done - done);
      ({ done, running, failed } = counts);
      print();
    },
    stop() {},
  };
}
