/**
 * Names the model cannot say: the tokenizer is byte-level, so any text can be taught, but a character the model
 * never saw in training reaches it as raw bytes it never learned to produce, and the answer comes back garbled
 * ("The capital of 🦄land is 🍕ville." was taught at a loss of 9.4). The Teach panel warns before teaching.
 * The table of seen characters is generated from the tokenizer and the training-side text (seen-characters.ts).
 */
import type { Fact } from './fact';
import { COMMON_CHARACTERS, RARE_CHARACTERS } from './seen-characters';

const COMMON = new Set(COMMON_CHARACTERS);
const RARE = new Set(RARE_CHARACTERS);

function isPlainAscii(ch: string): boolean {
  const code = ch.codePointAt(0)!;
  return code >= 0x20 && code < 0x7f;
}

export interface CharacterReport {
  /** Characters of the names the model never saw in training (in order, each once). */
  readonly unseen: readonly string[];
  /** Letters beyond ASCII it saw only a handful of times (é, ü...): it may misspell them. */
  readonly rare: readonly string[];
}

/** What the model saw of the characters in `text` (whole characters: an emoji is one, even as a surrogate pair). */
export function characterReport(text: string): CharacterReport {
  const unseen = new Set<string>();
  const rare = new Set<string>();
  for (const ch of text) {
    if (COMMON.has(ch) || isPlainAscii(ch)) continue;
    if (RARE.has(ch)) rare.add(ch);
    else unseen.add(ch);
  }
  return { unseen: [...unseen], rare: [...rare] };
}

/** The warning for a fact's subject and object, or null when every character is familiar. */
export function nameWarning(fact: Pick<Fact, 'subject' | 'object'>): { level: 'unseen' | 'rare'; message: string } | null {
  const report = characterReport(`${fact.subject}${fact.object}`);
  const list = (chars: readonly string[]) => chars.map((c) => `“${c}”`).join(', ');
  if (report.unseen.length > 0) {
    return {
      level: 'unseen',
      message:
        `The model never saw ${list(report.unseen)} in training. It can read ${report.unseen.length === 1 ? 'it' : 'them'} byte by byte, but it ` +
        `may not be able to write this name back: expect a high loss and a garbled answer. Letters a-z and common punctuation work best.`,
    };
  }
  if (report.rare.length > 0) {
    return { level: 'rare', message: `The model saw ${list(report.rare)} only a few times in training; it may misspell ${report.rare.length === 1 ? 'it' : 'them'} when it answers.` };
  }
  return null;
}
