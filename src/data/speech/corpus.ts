/**
 * A speech corpus as the sequence models see it: utterances of normalised log-mel frames with their
 * speaker. `untangle data speech` writes one (src/data/speech/*); the FHVAE and the i-vector baseline read it.
 */
export interface Utterance {
  /** unique within the corpus, e.g. `spk017-u004` */
  id: string;
  speaker: string;
  /** number of frames */
  frames: number;
  /** row-major [frames, bins] log-mel features, mean/variance normalised with the training statistics */
  features: Float32Array;
}

export interface SpeechCorpus {
  /** feature bins per frame (80) */
  bins: number;
  train: Utterance[];
  /** speakers disjoint from train */
  test: Utterance[];
}
