/**
 * The tagger's labelled data, generated in code: a stream of English sentences built from clause
 * templates with people's names (first, or first + last) and capitalised words that are not names
 * (sentence starts, days, months, cities). Each character is labelled 1 inside a name ("Maria Garcia",
 * the space included, so a full name is one span) and 0 elsewhere. Training rows are windows of the
 * stream, so names turn up at any position, next to any punctuation, and cut at a row's edges.
 * Seeded: the same data on every load.
 */
import { Rng } from 'webrnn';

export const FIRST_NAMES = [
  'Anna', 'Maria', 'David', 'James', 'Sofia', 'Omar', 'Lucas', 'Emma', 'Noah', 'Olivia', 'Liam', 'Ava',
  'Ethan', 'Mia', 'Amir', 'Chen', 'Priya', 'Ivan', 'Elena', 'Kenji', 'Fatima', 'Hugo', 'Clara', 'Mateo',
  'Nina', 'Oscar', 'Ruth', 'Samuel', 'Tara', 'Victor', 'Grace', 'Peter', 'Laura', 'Daniel', 'Yusuf', 'Ingrid',
];

export const LAST_NAMES = [
  'Smith', 'Garcia', 'Kim', 'Novak', 'Okafor', 'Rossi', 'Tanaka', 'Brown', 'Silva', 'Khan', 'Dubois',
  'Jensen', 'Patel', 'Cohen', 'Costa', 'Moreau', 'Larsen', 'Singh', 'Walker', 'Ivanova', 'Haddad', 'Lopez',
];

/** Capitalised words that are not people: the tagger must learn to leave them alone. */
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Friday', 'Sunday'];
const MONTHS = ['March', 'April', 'June', 'August', 'October'];
const PLACES = ['Paris', 'London', 'Lagos', 'Tokyo', 'Berlin', 'Lima', 'Cairo', 'Oslo'];

/** Clauses: {N} a person, {D} a day, {M} a month, {P} a city. */
export const CLAUSES = [
  '{N} met {N} at the station',
  '{N} called {N} about the plan',
  'the team asked {N} to help',
  '{N} and {N} walked to the river',
  'the letter from {N} arrived in {M}',
  'I saw {N} near the old bridge in {P}',
  'we will visit {N} in {P}',
  '{N} moved to {P} in {M}',
  'ask {N} if the shop is open',
  'the book that {N} wrote is long',
  '{N} said that {N} was late again',
  '{N} gave the keys to {N}',
  'my friend {N} lives in {P}',
  '{N} saw the film with {N}',
  '{N} plays chess every {D}',
  'the train to {P} left without {N}',
  'tell {N} the meeting is at noon',
  '{N} and I flew to {P}',
  '{N} works with {N} in a small office',
  'nobody knew where {N} had gone',
  'the rain in {P} did not stop',
  'it was cold in {P} that {D}',
  'the shop closes early on {D}',
  'we left {P} in {M}',
  'a cat sat on the warm roof',
  'she thanked {N} for the tea',
  'he wrote to {N} from {P}',
  'the old man smiled at {N}',
];
const OPENERS = ['', '', '', '', 'Yesterday ', 'Then ', 'On {D}, ', 'In {M} ', 'Later, ', 'In {P}, ', 'Sadly, ', 'Of course '];
const JOINERS = [', and ', ', but ', ' while ', ', so ', '; ', ' because '];
const ENDINGS = ['.', '.', '.', '!', '?'];

export interface LabelledText {
  text: string;
  /** per UTF-16 code unit of `text` (the generated text is ASCII): 1 inside a name, 0 elsewhere */
  labels: Uint8Array;
}

/** `count` labelled sentences, separated by spaces, as one text (seed `seed`). */
export function makeStream(count: number, seed: number): LabelledText {
  const rng = new Rng(seed);
  const rand = () => rng.next();
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  let text = '';
  const labels: number[] = [];
  const emit = (s: string, isName: boolean) => {
    text += s;
    for (let j = 0; j < s.length; j++) labels.push(isName ? 1 : 0);
  };
  /** A template with its slots filled; `capital` capitalises its first letter (a sentence start). */
  const fill = (template: string, capital: boolean) => {
    const parts = template.split(/\{([NDMP])\}/); // even indices: literal text; odd: slot letters
    for (let i = 0; i < parts.length; i++) {
      let part = parts[i]!;
      if (i % 2 === 0) {
        if (capital && i === 0 && part.length > 0) part = part[0]!.toUpperCase() + part.slice(1);
        emit(part, false);
      } else if (part === 'N') emit(rand() < 0.5 ? pick(FIRST_NAMES) : `${pick(FIRST_NAMES)} ${pick(LAST_NAMES)}`, true);
      else emit(pick(part === 'D' ? DAYS : part === 'M' ? MONTHS : PLACES), false);
    }
  };
  for (let k = 0; k < count; k++) {
    if (k > 0) emit(' ', false);
    const opener = pick(OPENERS);
    if (opener) fill(opener, true);
    fill(pick(CLAUSES), !opener);
    if (rand() < 0.35) {
      emit(pick(JOINERS), false);
      fill(pick(CLAUSES), false);
    }
    emit(pick(ENDINGS), false);
  }
  return { text, labels: Uint8Array.from(labels) };
}

/** Characters the tagger's vocabulary always knows, so typed text rarely maps to <UNK>. */
export const PRINTABLE_ASCII = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
