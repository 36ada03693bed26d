import type { Rng } from '../../engine/rng.ts';

/**
 * What the speakers say. Like TIMIT's SA sentences, a few sentences are read by every speaker (the
 * content is then the same and only the voice differs); the rest come from a small grammar, so the
 * content varies across utterances while the vocabulary stays small.
 */
export const SHARED_SENTENCES: readonly string[] = [
  'She had your dark suit in greasy wash water all year.',
  "Don't ask me to carry an oily rag like that.",
  'The birch canoe slid on the smooth planks.',
  'Glue the sheet to the dark blue background.',
  'It is easy to tell the depth of a well.',
];

/** The fixed sentence every voice reads in the check that voices differ. */
export const VOICE_CHECK_SENTENCE =
  'Four hours of steady work faced us, and the rain came down on the quiet town.';

const WORDS = {
  determiner: ['the', 'a', 'every', 'one', 'that', 'my', 'your', 'our'],
  adjective: [
    'small',
    'green',
    'heavy',
    'quiet',
    'bright',
    'old',
    'narrow',
    'warm',
    'silver',
    'muddy',
    'tall',
  ],
  noun: [
    'farmer',
    'river',
    'window',
    'teacher',
    'garden',
    'engine',
    'basket',
    'doctor',
    'mountain',
    'letter',
    'kitten',
    'village',
    'pencil',
    'market',
  ],
  verb: [
    'carried',
    'painted',
    'found',
    'followed',
    'opened',
    'watched',
    'counted',
    'crossed',
    'cleaned',
    'needed',
  ],
  preposition: ['near', 'behind', 'under', 'beside', 'across', 'inside', 'above'],
  adverb: ['slowly', 'early', 'again', 'today', 'carefully', 'later', 'yesterday'],
  place: ['the station', 'the harbour', 'the old mill', 'the bakery', 'the school yard', 'the north road'],
} as const;

type Category = keyof typeof WORDS;

/** Sentence shapes; each slot is a word category. */
const PATTERNS: readonly Category[][] = [
  ['determiner', 'adjective', 'noun', 'verb', 'determiner', 'noun', 'preposition', 'place'],
  ['determiner', 'noun', 'adverb', 'verb', 'determiner', 'adjective', 'noun'],
  ['determiner', 'adjective', 'noun', 'verb', 'determiner', 'adjective', 'noun', 'adverb'],
  ['adverb', 'determiner', 'noun', 'verb', 'determiner', 'noun', 'preposition', 'determiner', 'noun'],
  ['determiner', 'noun', 'preposition', 'place', 'verb', 'determiner', 'adjective', 'noun'],
];

/** One sentence from the grammar, capitalised and ending in a full stop. */
export function grammarSentence(rng: Rng): string {
  const pattern = PATTERNS[rng.int(PATTERNS.length)];
  const words = pattern.map((category) => {
    const choices = WORDS[category];
    return choices[rng.int(choices.length)];
  });
  const text = words.join(' ');
  return `${text[0].toUpperCase()}${text.slice(1)}.`;
}
