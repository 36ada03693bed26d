/**
 * espeak-ng falls back to the plain voice, silently, when a variant cannot be loaded (a mistyped name,
 * a missing file): a corpus could then hold several "speakers" with the same voice. So every speaker
 * reads one fixed sentence with no jitter, and the check requires each speaker's long-term spectrum to
 * differ from every other speaker's and from the plain accent voices'.
 */

/**
 * A voice's long-term spectrum: the log of the mean mel energy over the frames of one reading
 * ([frames, bins] log-mel features), so loud speech frames dominate and silence counts for little.
 */
export function voiceProfile(logMel: Float32Array, bins: number): Float64Array {
  const frames = logMel.length / bins;
  if (frames < 1) throw new Error('voice profile of an empty reading');
  const mean = new Float64Array(bins);
  for (let i = 0; i < logMel.length; i++) mean[i % bins] += Math.exp(logMel[i]) / frames;
  return mean.map(Math.log);
}

/** Root mean square difference of two profiles, in nats (1 nat is about 4.3 dB). */
export function profileDistance(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return Math.sqrt(sum / a.length);
}

export interface VoiceCheck {
  /** smallest distance allowed between two voices */
  threshold: number;
  /** the closest pair of speakers and their distance */
  closestSpeakers: { a: string; b: string; distance: number } | null;
  /** the speaker closest to a plain accent voice */
  closestToPlain: { speaker: string; accent: string; distance: number } | null;
  passed: boolean;
  /** what failed, one line per pair, when not passed */
  failures: string[];
}

/**
 * Compares every pair of speaker profiles and every speaker with the plain voice of its accent;
 * pairs closer than `threshold` fail.
 */
export function checkVoicesDiffer(
  speakers: readonly { name: string; accent: string; profile: Float64Array }[],
  plain: ReadonlyMap<string, Float64Array>,
  threshold: number,
): VoiceCheck {
  const failures: string[] = [];
  let closestSpeakers: VoiceCheck['closestSpeakers'] = null;
  let closestToPlain: VoiceCheck['closestToPlain'] = null;
  for (let i = 0; i < speakers.length; i++) {
    const s = speakers[i];
    const reference = plain.get(s.accent);
    if (reference) {
      const distance = profileDistance(s.profile, reference);
      if (closestToPlain === null || distance < closestToPlain.distance)
        closestToPlain = { speaker: s.name, accent: s.accent, distance };
      if (distance < threshold) {
        failures.push(
          `${s.name} sounds like the plain ${s.accent} voice (distance ${distance.toFixed(4)}): its variant was probably not loaded`,
        );
      }
    }
    for (let j = i + 1; j < speakers.length; j++) {
      const t = speakers[j];
      const distance = profileDistance(s.profile, t.profile);
      if (closestSpeakers === null || distance < closestSpeakers.distance)
        closestSpeakers = { a: s.name, b: t.name, distance };
      if (distance < threshold)
        failures.push(`${s.name} and ${t.name} sound alike (distance ${distance.toFixed(4)})`);
    }
  }
  return { threshold, closestSpeakers, closestToPlain, passed: failures.length === 0, failures };
}
