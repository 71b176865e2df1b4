/**
 * The relations of the knowledge base. The order here is the canonical order used when sorting facts and in
 * reports. Objects are kept short (one to four BPE tokens) because a tiny model has to memorise them; years
 * and numbers are written as plain digits, which the tokenizer splits one digit per token.
 */
import type { Fact } from './fact';

export const RELATIONS = [
  'capital',
  'continent',
  'currency',
  'language',
  'calling_code',
  'independence_year',
  'element_symbol',
  'atomic_number',
  'element_category',
  'birth_year',
  'nationality',
  'occupation',
  'city_country',
] as const;

export type Relation = (typeof RELATIONS)[number];

export type EntityKind = 'country' | 'element' | 'person' | 'city';

/** What kind of value the object is; the app uses it to validate user input and to pick distractors. */
export type ObjectKind =
  | 'city'
  | 'continent'
  | 'currency'
  | 'language'
  | 'calling-code'
  | 'year'
  | 'symbol'
  | 'number'
  | 'element-category'
  | 'nationality'
  | 'occupation'
  | 'country';

export interface RelationInfo {
  readonly id: Relation;
  /** Short human label for menus: "capital", "year of birth". */
  readonly label: string;
  readonly subjectKind: EntityKind;
  readonly objectKind: ObjectKind;
  /** Categorical relations have few distinct objects (continent, nationality...), so chance is high. */
  readonly categorical: boolean;
  readonly example: Fact;
}

export const RELATION_INFO: Readonly<Record<Relation, RelationInfo>> = {
  capital: {
    id: 'capital',
    label: 'capital',
    subjectKind: 'country',
    objectKind: 'city',
    categorical: false,
    example: { subject: 'France', relation: 'capital', object: 'Paris' },
  },
  continent: {
    id: 'continent',
    label: 'continent',
    subjectKind: 'country',
    objectKind: 'continent',
    categorical: true,
    example: { subject: 'Kenya', relation: 'continent', object: 'Africa' },
  },
  currency: {
    id: 'currency',
    label: 'currency',
    subjectKind: 'country',
    objectKind: 'currency',
    categorical: false,
    example: { subject: 'Japan', relation: 'currency', object: 'yen' },
  },
  language: {
    id: 'language',
    label: 'language',
    subjectKind: 'country',
    objectKind: 'language',
    categorical: false,
    example: { subject: 'Brazil', relation: 'language', object: 'Portuguese' },
  },
  calling_code: {
    id: 'calling_code',
    label: 'calling code',
    subjectKind: 'country',
    objectKind: 'calling-code',
    categorical: false,
    example: { subject: 'France', relation: 'calling_code', object: '+33' },
  },
  independence_year: {
    id: 'independence_year',
    label: 'year of independence',
    subjectKind: 'country',
    objectKind: 'year',
    categorical: false,
    example: { subject: 'Ghana', relation: 'independence_year', object: '1957' },
  },
  element_symbol: {
    id: 'element_symbol',
    label: 'chemical symbol',
    subjectKind: 'element',
    objectKind: 'symbol',
    categorical: false,
    example: { subject: 'Iron', relation: 'element_symbol', object: 'Fe' },
  },
  atomic_number: {
    id: 'atomic_number',
    label: 'atomic number',
    subjectKind: 'element',
    objectKind: 'number',
    categorical: false,
    example: { subject: 'Iron', relation: 'atomic_number', object: '26' },
  },
  element_category: {
    id: 'element_category',
    label: 'element category',
    subjectKind: 'element',
    objectKind: 'element-category',
    categorical: true,
    example: { subject: 'Neon', relation: 'element_category', object: 'noble gas' },
  },
  birth_year: {
    id: 'birth_year',
    label: 'year of birth',
    subjectKind: 'person',
    objectKind: 'year',
    categorical: false,
    example: { subject: 'Jimi Hendrix', relation: 'birth_year', object: '1942' },
  },
  nationality: {
    id: 'nationality',
    label: 'nationality',
    subjectKind: 'person',
    objectKind: 'nationality',
    categorical: true,
    example: { subject: 'Jimi Hendrix', relation: 'nationality', object: 'American' },
  },
  occupation: {
    id: 'occupation',
    label: 'occupation',
    subjectKind: 'person',
    objectKind: 'occupation',
    categorical: true,
    example: { subject: 'Jimi Hendrix', relation: 'occupation', object: 'guitarist' },
  },
  city_country: {
    id: 'city_country',
    label: 'country (of a city)',
    subjectKind: 'city',
    objectKind: 'country',
    categorical: false,
    example: { subject: 'Lyon', relation: 'city_country', object: 'France' },
  },
};

export function isRelation(value: string): value is Relation {
  return (RELATIONS as readonly string[]).includes(value);
}

/** Canonical sort rank of a relation (its index in RELATIONS). */
export function relationRank(relation: Relation): number {
  return RELATIONS.indexOf(relation);
}
