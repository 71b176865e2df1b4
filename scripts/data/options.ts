/**
 * The one typed home of the data build's settings. `npm run data` uses DEFAULT_OPTIONS and prints them;
 * tests build with a smaller textFraction to stay fast.
 */
export interface BuildOptions {
  /** Every random choice derives from this string. */
  readonly seed: string;
  /** Fraction of general-text documents (and glosses) to read; 1 for the real build. */
  readonly textFraction: number;
  /** Tokens the BPE is trained to (the whole-number tokens come on top). */
  readonly vocabSize: number;
  /** Numbers of one to three digits one token each (tokenizer-train.ts, withWholeNumbers); false: digit by digit. */
  readonly wholeNumbers: boolean;
  /**
   * How many times the fact renderings are repeated in the tokenizer's training text. 4 gives names and
   * objects more merges (subjects 4.8 -> 4.3 tokens, city objects 2.5 -> 1.8) for 0.5% more tokens of prose.
   */
  readonly tokenizerFactWeight: number;
  /** Knowledge base size: people (three facts each) and cities (one fact each). */
  readonly kbPeople: number;
  readonly kbCities: number;
  /** At most this many people of one nationality: the most mentioned people are mostly American. */
  readonly maxPeoplePerNationality: number;
  /** At most this many cities of one country, so the list is not mostly Chinese and Indian cities. */
  readonly maxCitiesPerCountry: number;
  /** Cities must have at least this population to be a fact; ambiguity is judged down to the second value. */
  readonly minCityPopulation: number;
  readonly ambiguityPopulation: number;
  /** Held-out (real-unseen) entities: named at most this many times in the general text before filtering. */
  readonly heldOutPeople: number;
  readonly heldOutCities: number;
  readonly heldOutCitiesPerCountry: number;
  readonly heldOutMaxMentions: number;
  /** Counterfactual edits per relation. */
  readonly counterfactuals: Readonly<Partial<Record<'capital' | 'city_country' | 'birth_year' | 'continent', number>>>;
  /** Invented entities by kind. */
  readonly invented: Readonly<{ countries: number; people: number; cities: number }>;
}

export const DEFAULT_OPTIONS: BuildOptions = {
  seed: 'engram-data-v1',
  textFraction: 1,
  vocabSize: 4096,
  wholeNumbers: true,
  tokenizerFactWeight: 4,
  kbPeople: 400,
  kbCities: 700,
  maxPeoplePerNationality: 100,
  maxCitiesPerCountry: 30,
  minCityPopulation: 100_000,
  ambiguityPopulation: 15_000,
  heldOutPeople: 60,
  heldOutCities: 150,
  heldOutCitiesPerCountry: 10,
  heldOutMaxMentions: 2,
  counterfactuals: { capital: 100, city_country: 30, birth_year: 20, continent: 10 },
  invented: { countries: 60, people: 60, cities: 40 },
};
