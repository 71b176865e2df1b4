/** The table of characters the model saw is current, and names are judged by it (the Teach panel's warning). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeSeenCharacters, renderTable, TABLE_PATH } from '../../scripts/seen-characters';
import { characterReport, nameWarning } from '../../src/facts/unseen-characters';
import { BYTE_ID_OFFSET, loadTokenizer } from '../../src/model/tokenizer';

describe('characters the model saw', () => {
  it('the shipped table matches the tokenizer and data (regenerate with npx tsx scripts/seen-characters.ts)', () => {
    expect(readFileSync(TABLE_PATH, 'utf8')).toBe(renderTable(computeSeenCharacters()));
  });

  it('agrees with the tokenizer: unseen characters split into raw bytes, common ones have merged tokens', () => {
    const tokenizer = loadTokenizer(readFileSync(join(process.cwd(), 'public/model/tokenizer.json'), 'utf8'));
    const rawBytes = (s: string) => tokenizer.encode(s).filter((id) => id >= BYTE_ID_OFFSET + 0x80 && id < BYTE_ID_OFFSET + 256).length;
    expect(rawBytes('🦄')).toBe(4); // four UTF-8 bytes, none merged
    expect(rawBytes('—')).toBe(0);
    expect(characterReport('🦄land 🍕ville').unseen).toEqual(['🦄', '🍕']);
    expect(characterReport('Zürich').rare).toEqual(['ü']);
    expect(characterReport('Veloria Tamsin 1942').unseen).toEqual([]);
  });

  it('warns before teaching a name with unseen characters, mildly for rare letters, not for plain names', () => {
    const warning = nameWarning({ subject: '🦄land', object: '🍕ville' });
    expect(warning?.level).toBe('unseen');
    expect(warning?.message).toMatch(/never saw “🦄”, “🍕”/);
    expect(warning?.message).toMatch(/may not be able to write this name back/);
    expect(nameWarning({ subject: 'Zürich', object: 'Tamsin' })?.level).toBe('rare');
    expect(nameWarning({ subject: 'Veloria', object: 'Tamsin' })).toBeNull();
    expect(nameWarning({ subject: 'Москва', object: 'x' })?.level).toBe('unseen');
  });
});
