/** JSON Lines with a fixed key order (the order of `keys`) and "\n" after every record, for byte-stable files. */
export function toJsonl<T extends object>(records: readonly T[], keys: readonly (keyof T & string)[]): string {
  return records
    .map((r) => {
      const ordered: Record<string, unknown> = {};
      for (const k of keys) if (r[k] !== undefined) ordered[k] = r[k];
      return JSON.stringify(ordered);
    })
    .map((line) => `${line}\n`)
    .join('');
}

export function parseJsonl<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T);
}
