/** Small text utilities shared by the corpus readers and the leakage filter. */

/** Maximal runs of letters, marks and digits: the "words" every name check in the build works on. */
const WORD = /[\p{L}\p{M}\p{N}]+/gu;

export function words(text: string): string[] {
  return text.match(WORD) ?? [];
}

export function lowerWords(text: string): string[] {
  return words(text.toLowerCase());
}

// A sentence ends at . ! or ? (optionally followed by closing quotes or brackets) before whitespace and a
// capital letter, digit or opening quote. Good enough for prose; abbreviations ("Mr. Smith") split too
// early, which only makes the leakage filter drop a shorter span.
const SENTENCE_BREAK = /(?<=[.!?]['"’”)\]]*)\s+(?=['"“‘([]?[\p{Lu}\p{N}])/u;

export function splitSentences(paragraph: string): string[] {
  return paragraph.split(SENTENCE_BREAK);
}

/** Normalise line endings and strip trailing spaces; keep everything else as the source wrote it. */
export function cleanText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t]+$/u, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Plain UTF-16 code-unit order, independent of locale (localeCompare differs between ICU builds). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
