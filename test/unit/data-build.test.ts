/**
 * The data build (npm run data): committed files match the manifest and are exactly what the code rebuilds,
 * the build is deterministic, and the pretraining text names no held-out or invented entity and uses no
 * eval-only template. The full build runs in memory once (about 20 s); determinism is also checked end to
 * end, through the file writer, on a reduced build written twice.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACK_NAMES, factKey, type KbFact, type PackFact } from '../../src/facts/fact';
import { RELATIONS } from '../../src/facts/relations';
import { evalTemplates, renderTemplate } from '../../src/facts/templates';
import { buildData, type DataBuild } from '../../scripts/data/build';
import { duplicateKeys, findEvalTemplateUses, findLeaks, pretrainingUnits } from '../../scripts/data/checks';
import { parseJsonl, toJsonl } from '../../scripts/data/jsonl';
import { DEFAULT_OPTIONS } from '../../scripts/data/options';
import { REPO_ROOT } from '../../scripts/data/packages';
import { tokenStats } from '../../scripts/data/token-stats';
import { PUBLIC_FILES, readManifest, sha256, writeData } from '../../scripts/data/write';

const PUBLIC = join(REPO_ROOT, 'public');
const readPublic = (path: string) => readFileSync(join(PUBLIC, path), 'utf8');
const kb = parseJsonl<KbFact>(readPublic(PUBLIC_FILES.kb));
const packs = Object.fromEntries(PACK_NAMES.map((p) => [p, parseJsonl<PackFact>(readPublic(PUBLIC_FILES.pack(p)))])) as Record<
  (typeof PACK_NAMES)[number],
  PackFact[]
>;

describe('committed data', () => {
  it('matches the hashes in public/data/manifest.json', () => {
    const manifest = readManifest(PUBLIC);
    expect(manifest.seed).toBe(DEFAULT_OPTIONS.seed);
    const listed = Object.keys(manifest.files);
    expect(listed.length).toBeGreaterThanOrEqual(8);
    for (const [path, entry] of Object.entries(manifest.files)) {
      const bytes = readFileSync(join(REPO_ROOT, path));
      expect(sha256(bytes), path).toBe(entry.sha256);
      expect(bytes.byteLength, path).toBe(entry.bytes);
    }
  });

  it('has a knowledge base of 3,000-4,000 pretrained facts, one object per (subject, relation)', () => {
    expect(kb.length).toBeGreaterThanOrEqual(3000);
    expect(kb.length).toBeLessThanOrEqual(4000);
    expect(kb.every((f) => f.split === 'pretrain' && RELATIONS.includes(f.relation) && f.object.length > 0)).toBe(true);
    expect(duplicateKeys(kb)).toEqual([]);
    for (const r of RELATIONS) expect(kb.some((f) => f.relation === r), r).toBe(true);
  });

  it('has the three teach packs at their minimum sizes, none of them pretrained', () => {
    expect(packs['real-unseen'].length).toBeGreaterThanOrEqual(300);
    expect(packs.counterfactual.length).toBeGreaterThanOrEqual(150);
    expect(new Set(packs.invented.map((f) => f.subject)).size).toBeGreaterThanOrEqual(150);
    const kbObject = new Map(kb.map((f) => [factKey(f), f.object]));
    const kbSubjects = new Set(kb.map((f) => f.subject));
    for (const f of packs['real-unseen']) expect(kbSubjects.has(f.subject), f.subject).toBe(false);
    for (const f of packs.invented) expect(kbSubjects.has(f.subject), f.subject).toBe(false);
    for (const f of packs.counterfactual) {
      expect(f.original, f.subject).toBe(kbObject.get(factKey(f)));
      expect(f.object).not.toBe(f.original);
    }
    for (const name of PACK_NAMES) expect(packs[name].every((f) => f.pack === name)).toBe(true);
  });

  it('keeps the held-out text under 1.5 MB', () => {
    expect(statSync(join(PUBLIC, PUBLIC_FILES.heldout)).size).toBeLessThan(1.5e6);
  });
});

describe('full build (in memory)', () => {
  let build: DataBuild;
  beforeAll(() => {
    build = buildData(DEFAULT_OPTIONS);
  }, 180_000);

  it('rebuilds the committed knowledge base, packs, held-out text and tokenizer byte for byte', () => {
    expect(toJsonl(build.kb, ['subject', 'relation', 'object', 'split', 'source'])).toBe(readPublic(PUBLIC_FILES.kb));
    for (const name of PACK_NAMES) {
      expect(toJsonl(build.packs[name], ['subject', 'relation', 'object', 'pack', 'original'])).toBe(readPublic(PUBLIC_FILES.pack(name)));
    }
    expect(toJsonl(build.heldoutDocs, ['domain', 'id', 'text'])).toBe(readPublic(PUBLIC_FILES.heldout));
    expect(`${JSON.stringify(build.tokenizer)}\n`).toBe(readPublic(PUBLIC_FILES.tokenizer));
  });

  it('names no held-out or invented entity anywhere in the pretraining text', () => {
    // The names come from the committed packs, not from the build's own list.
    const people = new Set(packs['real-unseen'].filter((f) => f.relation === 'birth_year').map((f) => f.subject));
    const names = new Set<string>();
    for (const f of packs['real-unseen']) {
      names.add(f.subject);
      if (people.has(f.subject)) names.add(f.subject.split(' ').at(-1)!); // surname alone
    }
    for (const f of packs.invented) {
      names.add(f.subject);
      if (f.relation === 'capital') names.add(f.object);
    }
    expect(names.size).toBeGreaterThan(400);
    for (const n of names) expect(build.forbiddenNames, n).toContain(n);
    expect(findLeaks(pretraining(build), names)).toEqual([]);
  });

  it('never uses an eval-only template in the pretraining text', () => {
    expect(findEvalTemplateUses(pretraining(build))).toEqual([]);
    // and, as plain strings, no eval rendering of any knowledge-base fact occurs in any pretraining line
    const evalSentences = new Set(kb.flatMap((f) => evalTemplates(f.relation).map((t) => renderTemplate(t, f).split('\n')[0])));
    for (const unit of pretrainingUnits(pretraining(build))) {
      if (unit.text.startsWith('Q: ')) expect(evalSentences.has(unit.text.split('\n')[0]), unit.text).toBe(false);
    }
    const statements = kb.flatMap((f) => evalTemplates(f.relation).filter((t) => t.kind === 'statement').map((t) => renderTemplate(t, f)));
    const renderingText = new Set(build.renderings.map((r) => r.text));
    for (const s of statements) expect(renderingText.has(s), s).toBe(false);
  });

  it('renders every knowledge-base fact with all five training templates', () => {
    expect(build.renderings.length).toBe(build.kb.length * 5);
  });
});

describe('determinism', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('writes byte-identical files from the same seed (reduced build, twice)', async () => {
    const options = { ...DEFAULT_OPTIONS, textFraction: 0.03 };
    const snapshots: Map<string, string>[] = [];
    for (let run = 0; run < 2; run++) {
      const root = mkdtempSync(join(tmpdir(), `engram-data-${run}-`));
      dirs.push(root);
      const build = buildData(options);
      writeData(build, await tokenStats(build), { publicDir: join(root, 'public'), buildDir: join(root, 'build'), root });
      snapshots.push(hashTree(root));
    }
    expect(snapshots[0].size).toBeGreaterThan(10);
    expect([...snapshots[1]]).toEqual([...snapshots[0]]);
  }, 180_000);
});

function pretraining(build: DataBuild) {
  return { docs: build.pretrainDocs, renderings: build.renderings };
}

function hashTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(root, path), sha256(readFileSync(path)));
    }
  };
  walk(root);
  return out;
}
