/**
 * The repository stands alone: every document, path and section its comments and docs cite exists in it, and
 * nothing cites a tracker issue by number (test/repo-references.ts says what is checked). The second part
 * plants bad references in a made-up repository to show that the scanner finds each kind.
 */
import { describe, expect, it } from 'vitest';
import { commentsOnly, scanFile, scanRepository, type RepoView } from '../repo-references';

describe('references in the repository', () => {
  it('every cited document, path and section exists, and no tracker issue is cited', () => {
    const broken = scanRepository(process.cwd()).map((p) => `${p.file}:${p.line}: ${p.reference} (${p.problem})`);
    expect(broken, `broken references:\n${broken.join('\n')}`).toEqual([]);
  });
});

/** The made-up documents' extension, joined at run time so that their names are not cited as documents of this repository. */
const MD = '.md';

/** A small made-up repository. */
function fakeRepo(files: Record<string, string>): RepoView {
  const paths = Object.keys(files);
  const dirs = new Set(paths.flatMap((f) => f.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))));
  return {
    files: paths,
    exists: (rel) => rel in files || dirs.has(rel),
    read: (rel) => files[rel] ?? null,
    ignored: (rel) => rel.startsWith('experiments/latest'),
  };
}

const DOC = ['# Doc', '', '## 1. First', '', '1. one', '2. two', '', '### 1.1 Detail', '', '## 2. Pitfalls', '', '1. a pitfall', ''].join('\n');

describe('the reference scanner', () => {
  const repo = fakeRepo({
    [`docs/guide${MD}`]: DOC,
    'src/a/thing.ts': '',
    'src/a/other.ts': '',
    'test/unit/thing.test.ts': '',
    'README.md': '',
  });
  const scan = (file: string, text: string) => scanFile(repo, file, text).map((p) => `${p.line}: ${p.reference}`);

  it('accepts references that resolve', () => {
    const text = [
      '/**',
      ` * See docs/guide${MD} §1 step 2, docs/guide${MD} §1.1, docs/guide${MD}, pitfall 1, and README.md.`,
      ' * Code: src/a/thing.ts, src/a/, src/a/*.ts, test/unit/thing, other.ts; output experiments/latest.json.',
      ` * A URL is not a reference: https://example.com/docs/missing${MD}`,
      ' */',
      "const s = 'src/not/checked/in/strings.ts';",
    ].join('\n');
    expect(scan('src/a/thing.ts', text)).toEqual([]);
  });

  it('finds a planted missing document, path, file name, section, step, pitfall and issue number', () => {
    const issue = 'iss' + 'ue 12';
    const text = [
      `// see docs/missing${MD}`,
      '// see src/a/gone.ts and test/nothing/',
      '// as gone-file.ts does',
      `// docs/guide${MD} §3`,
      `// docs/guide${MD} §1 step 5`,
      `// docs/guide${MD}, pitfall 4`,
      `const title = 'fixes ${issue}';`,
      `// a bare guide${MD} does not resolve from src/a`,
    ].join('\n');
    expect(scan('src/a/thing.ts', text)).toEqual([
      `1: docs/missing${MD}`,
      '2: src/a/gone.ts',
      '2: test/nothing/',
      '3: gone-file.ts',
      `4: docs/guide${MD} §3`,
      `5: docs/guide${MD} §1 step 5`,
      `6: docs/guide${MD} , pitfall 4`,
      '7: ' + issue,
      `8: guide${MD}`,
    ]);
  });

  it('reads every line of documentation, and only the comments of code', () => {
    expect(scan(`docs/notes${MD}`, `See [the guide](guide${MD}) and src/missing.ts.`)).toEqual(['1: src/missing.ts']);
    expect(commentsOnly("const url = 'http://x'; // note\n/* block */ `t\n`")).toBe('                        // note\n/* block */   \n ');
  });
});
