/**
 * Finds references in the repository's text that do not resolve inside the repository: markdown documents and
 * repository paths that do not exist, section numbers a document does not have, and citations of numbered
 * tracker issues (a reader of the checkout cannot follow them; say what is required instead).
 *
 * What counts as a reference:
 *  - any markdown file name, with or without folders, in documentation and in the comments of code files;
 *  - a repository path beginning with one of ROOTS (a src, test, scripts, docs, shaders, train, public or
 *    experiments folder), in documentation and in the comments of code files;
 *  - a bare source file name (`tf-backend.ts`, `memory-lookup.wgsl`, `model.py`) in the same places: some
 *    tracked file must have that name;
 *  - after a document reference: a section sign or the word "section" with a number, "step(s) N[-M]" after a
 *    section, and "pitfall N": the document must have that heading / numbered item;
 *  - "issue" followed by a number, anywhere (code strings and test titles included).
 * Markdown files resolve relative to the citing file's folder or the repository root; paths with a folder
 * resolve from the root (or the citing folder, for markdown links). URLs are ignored.
 */
import { readFileSync, existsSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export interface BrokenReference {
  file: string;
  line: number;
  reference: string;
  problem: string;
}

/** What the scanner may ask about the repository. */
export interface RepoView {
  /** A tracked (or present) file or folder at this root-relative path. */
  exists(rel: string): boolean;
  /** Root-relative paths of every tracked file (for globs, extension-less paths and bare names). */
  files: readonly string[];
  /** Git ignores this path: build or run output (`npm run experiment` writes experiments/latest.*), made on demand. */
  ignored(rel: string): boolean;
  /** The text of a root-relative file, or null. */
  read(rel: string): string | null;
}

const ROOTS = ['src', 'test', 'scripts', 'docs', 'shaders', 'train', 'public', 'experiments'];
const SOURCE_EXT = ['ts', 'tsx', 'wgsl', 'py', 'sh', 'mjs'];

/** Files scanned: documentation and code, not data. */
export function isScanned(rel: string): boolean {
  if (rel.startsWith('public/data/') && !rel.endsWith('.md')) return false;
  if (rel === '.ci/run') return true;
  return /\.(ts|tsx|md|py|wgsl|sh|mjs|js|html|css)$/.test(rel);
}

type Kind = 'doc' | 'code';

function kindOf(rel: string): Kind {
  return /\.(md|html|css)$/.test(rel) || rel === '.ci/run' || /\.(py|sh)$/.test(rel) ? 'doc' : 'code';
}

/**
 * The comment text of a C-like source file, with everything else blanked (newlines kept, so line numbers
 * hold). String and template literals are skipped so that `'http://x'` is not read as a comment.
 */
export function commentsOnly(src: string): string {
  let out = '';
  let i = 0;
  const n = src.length;
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  while (i < n) {
    const c = src[i];
    const next = src[i + 1];
    if (c === '/' && next === '/') {
      const end = src.indexOf('\n', i);
      const stop = end < 0 ? n : end;
      out += src.slice(i, stop);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      out += src.slice(i, stop);
      i = stop;
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < n && src[j] !== c) {
        if (src[j] === '\\') j++;
        else if (c !== '`' && src[j] === '\n') break;
        j++;
      }
      out += blank(src.slice(i, j + 1));
      i = j + 1;
    } else {
      out += c === '\n' ? '\n' : ' ';
      i++;
    }
  }
  return out;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split(/(\*\*\/|\*\*|\*)/)
    .map((part) => (part === '**/' ? '(?:.*/)?' : part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

function pathExists(repo: RepoView, rel: string): boolean {
  const clean = rel.replace(/\/$/, '');
  if (clean.includes('*')) {
    const re = globToRegExp(clean);
    if (repo.files.some((f) => re.test(f))) return true;
  } else {
    if (repo.exists(clean)) return true;
    // An extension-less mention of a module or test ("test/gpu/tf-op-guards"): some file continues the name.
    if (repo.files.some((f) => f.startsWith(`${clean}.`))) return true;
  }
  return repo.ignored(clean);
}

/** Headings and numbered items of a markdown document, for section checks. */
interface Outline {
  /** "2" or "2.1" for a heading "## 2. Title" / "### 2.1 Title". */
  sections: Set<string>;
  /** Numbered list items per section number ("2" -> {1..7}). */
  steps: Map<string, Set<number>>;
  /** Numbered items under a heading that mentions pitfalls. */
  pitfalls: Set<number>;
}

function outlineOf(text: string): Outline {
  const sections = new Set<string>();
  const steps = new Map<string, Set<number>>();
  const pitfalls = new Set<number>();
  let current = '';
  let inPitfalls = false;
  for (const line of text.split('\n')) {
    const heading = /^#{1,6}\s+(?:§\s*)?(\d+(?:\.\d+)*)[.\s]/.exec(line);
    if (/^#{1,6}\s/.test(line)) {
      current = heading ? heading[1] : current;
      if (heading) sections.add(heading[1]);
      inPitfalls = /pitfall/i.test(line);
      continue;
    }
    const item = /^(\d+)\.\s/.exec(line);
    if (item) {
      const number = Number(item[1]);
      if (inPitfalls) pitfalls.add(number);
      if (current) {
        const top = current;
        if (!steps.has(top)) steps.set(top, new Set());
        steps.get(top)!.add(number);
      }
    }
  }
  return { sections, steps, pitfalls };
}

/** Resolves a markdown reference from `file`: the citing folder first, then the root. */
function resolveMarkdown(repo: RepoView, file: string, ref: string): string | null {
  const fromDir = path.posix.normalize(path.posix.join(path.posix.dirname(file), ref));
  if (!fromDir.startsWith('..') && repo.exists(fromDir)) return fromDir;
  const fromRoot = path.posix.normalize(ref.replace(/^\.\//, ''));
  if (!fromRoot.startsWith('..') && repo.exists(fromRoot)) return fromRoot;
  return null;
}

const ISSUE = /\bissues?\s+#?\d+/gi;
const MARKDOWN = /(?<![\w/.@-])((?:\.{1,2}\/)*(?:[\w-]+\/)*[\w.-]*[\w-]\.md)(?![\w-])/g;
const ROOTED = new RegExp(`(?<![\\w/.@$-])((?:${ROOTS.join('|')})/[\\w.*/-]*[\\w*/])`, 'g');
const BARE = new RegExp(`(?<![\\w/.@$*-])([\\w-]+(?:\\.[\\w-]+)*\\.(?:${SOURCE_EXT.join('|')}))(?![\\w/-])`, 'g');
const AFTER_DOC = /^[,:']*\s*(?:(?:§\s*|section\s+)(\d+(?:\.\d+)*)(?:,?\s+steps?\s+(\d+)(?:\s*-\s*(\d+))?)?|,?\s*pitfalls?\s+(\d+))/i;

const basenameCache = new WeakMap<RepoView, Set<string>>();

function basenames(repo: RepoView): Set<string> {
  if (!basenameCache.has(repo)) basenameCache.set(repo, new Set(repo.files.map((f) => f.slice(f.lastIndexOf('/') + 1))));
  return basenameCache.get(repo)!;
}

/** Every broken reference in one file's text, in line order. */
export function scanFile(repo: RepoView, file: string, text: string): BrokenReference[] {
  const problems: BrokenReference[] = [];
  const kind = kindOf(file);
  const withoutUrls = (s: string) => s.replace(/\b[a-z][a-z+.-]*:\/\/[^\s)>'"`]+/gi, (m) => ' '.repeat(m.length));
  const whole = withoutUrls(text).split('\n');
  const prose = (kind === 'doc' ? withoutUrls(text) : withoutUrls(commentsOnly(text))).split('\n');
  const outlines = new Map<string, Outline>();
  const outline = (rel: string) => {
    if (!outlines.has(rel)) outlines.set(rel, outlineOf(repo.read(rel) ?? ''));
    return outlines.get(rel)!;
  };
  const add = (line: number, reference: string, problem: string) => problems.push({ file, line: line + 1, reference, problem });

  whole.forEach((line, index) => {
    for (const m of line.matchAll(ISSUE)) add(index, m[0], 'cites a tracker issue; say what is required instead');
  });
  prose.forEach((line, index) => {
    for (const m of line.matchAll(MARKDOWN)) {
      const ref = m[1];
      const target = resolveMarkdown(repo, file, ref);
      if (!target) {
        add(index, ref, 'no such document in the repository');
        continue;
      }
      const after = AFTER_DOC.exec(line.slice(m.index! + m[0].length));
      if (!after) continue;
      const [, section, stepFrom, stepTo, pitfall] = after;
      const o = outline(target);
      if (section && !o.sections.has(section)) add(index, `${ref} ${after[0].trim()}`, `${target} has no section ${section}`);
      else if (section && stepFrom) {
        const have = o.steps.get(section) ?? new Set<number>();
        for (const s of new Set([Number(stepFrom), Number(stepTo ?? stepFrom)])) {
          if (!have.has(s)) add(index, `${ref} ${after[0].trim()}`, `${target} section ${section} has no step ${s}`);
        }
      }
      if (pitfall && !o.pitfalls.has(Number(pitfall))) add(index, `${ref} ${after[0].trim()}`, `${target} has no pitfall ${pitfall}`);
    }
    for (const m of line.matchAll(ROOTED)) {
      const ref = m[1];
      if (ref.endsWith('.md')) continue; // checked above
      if (!pathExists(repo, ref)) add(index, ref, 'no such path in the repository');
    }
    for (const m of line.matchAll(BARE)) {
      const name = m[1];
      if (name.endsWith('.md')) continue;
      const local = path.posix.join(path.posix.dirname(file), name);
      if (repo.exists(local) || basenames(repo).has(name)) continue;
      add(index, name, 'no tracked file has this name');
    }
  });
  return problems.sort((a, b) => a.line - b.line);
}

function gitFiles(root: string, args: string[]): string[] {
  return execFileSync('git', ['ls-files', '-z', ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 })
    .split('\0')
    .filter((f) => f && existsSync(path.join(root, f)));
}

/**
 * The checkout at `root`. References resolve against the tracked files and the untracked ones git does not
 * ignore (a file being written and not yet committed); a clean clone has only the tracked ones.
 */
export function repoAt(root: string): RepoView {
  const files = gitFiles(root, ['--cached', '--others', '--exclude-standard']);
  const set = new Set(files);
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  const ignoredCache = new Map<string, boolean>();
  const ignored = (rel: string) => {
    if (!ignoredCache.has(rel)) {
      let yes = true;
      try {
        execFileSync('git', ['check-ignore', '-q', '--no-index', rel], { cwd: root, stdio: 'ignore' });
      } catch {
        yes = false; // exit status 1: not ignored
      }
      ignoredCache.set(rel, yes);
    }
    return ignoredCache.get(rel)!;
  };
  return {
    files,
    ignored,
    exists: (rel) => set.has(rel) || dirs.has(rel),
    read: (rel) => {
      const abs = path.join(root, rel);
      return existsSync(abs) && statSync(abs).isFile() ? readFileSync(abs, 'utf8') : null;
    },
  };
}

/** Every broken reference in the tracked, scanned files of the checkout at `root`. */
export function scanRepository(root: string): BrokenReference[] {
  const repo = repoAt(root);
  return gitFiles(root, ['--cached']).filter(isScanned).flatMap((file) => scanFile(repo, file, repo.read(file) ?? ''));
}
