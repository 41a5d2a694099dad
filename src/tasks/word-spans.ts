/**
 * Free text → word tokens cut the way the Brown corpus cuts them, with their character offsets, so
 * a tagger trained on Brown sees user text in the same form and its decisions can be marked in the
 * original text. Brown keeps a word's possessive and contractions whole ("Atlanta's", "didn't"),
 * hyphenated words whole ("hard-fought"), abbreviations with their period ("Mr.", "U.S.", "F."), and
 * makes a token of every other punctuation mark.
 */

/** A token and where it lies in the text: text.slice(start, end) === word. */
export interface WordSpan {
  word: string;
  start: number;
  end: number;
}

const OPENING = new Set(['"', "'", '(', '[', '{', '`', '“', '‘', '«']);
const CLOSING = new Set(['"', '.', ',', ';', ':', '!', '?', ')', ']', '}', '”', '’', '»']);

/**
 * Splits text into Brown-style tokens.
 *
 * @param keepsPeriod whether a word ending in "." is an abbreviation that keeps its period (e.g. the
 *   tagger's known words); single letters ("F.") and dotted initials ("U.S.") always keep it.
 * @example
 * splitWords('Yesterday, Harry Potter met Mr. Granger.', (w) => w === 'Mr.').map((s) => s.word)
 * // ['Yesterday', ',', 'Harry', 'Potter', 'met', 'Mr.', 'Granger', '.']
 */
export function splitWords(text: string, keepsPeriod: (word: string) => boolean = () => false): WordSpan[] {
  const out: WordSpan[] = [];
  for (const m of text.matchAll(/\S+/g)) {
    let start = m.index!;
    // dashes written as "--" or "—" separate words
    for (const piece of m[0].split(/(--+|—)/)) {
      if (piece) splitChunk(text, start, start + piece.length, keepsPeriod, out);
      start += piece.length;
    }
  }
  return out;
}

function splitChunk(text: string, start: number, end: number, keepsPeriod: (word: string) => boolean, out: WordSpan[]): void {
  const head: WordSpan[] = [];
  const tail: WordSpan[] = [];
  const one = (s: number, e: number): WordSpan => ({ word: text.slice(s, e), start: s, end: e });
  let quoted = false;
  while (end - start > 1 && OPENING.has(text[start]!)) {
    if (text[start] === "'") quoted = true;
    head.push(one(start, start + 1));
    start++;
  }
  while (end > start) {
    const body = text.slice(start, end);
    if (body.endsWith('...') && body.length > 3) {
      tail.unshift(one(end - 3, end));
      end -= 3;
      continue;
    }
    const last = text[end - 1]!;
    const closes = CLOSING.has(last) || (last === "'" && quoted);
    if (!closes || end - start === 1) break;
    if (last === '.' && (/^[A-Za-z]\.$|^([A-Za-z]\.)+[A-Za-z]\.$/.test(body) || keepsPeriod(body))) break;
    tail.unshift(one(end - 1, end));
    end--;
  }
  out.push(...head);
  if (end > start) out.push(one(start, end));
  out.push(...tail);
}

/**
 * The text with each run of marked tokens in square brackets; a run spans consecutive marked tokens
 * with only whitespace between them.
 *
 * @example
 * const s = splitWords('Yesterday, Harry Potter met Hermione.');
 * markSpans('Yesterday, Harry Potter met Hermione.', s, [false, false, true, true, false, true, false])
 * // 'Yesterday, [Harry Potter] met [Hermione].'
 */
export function markSpans(text: string, spans: readonly WordSpan[], marked: readonly boolean[]): string {
  let out = '';
  let pos = 0;
  for (let i = 0; i < spans.length; i++) {
    if (!marked[i]) continue;
    let j = i;
    while (j + 1 < spans.length && marked[j + 1] && /^\s*$/.test(text.slice(spans[j]!.end, spans[j + 1]!.start))) j++;
    out += `${text.slice(pos, spans[i]!.start)}[${text.slice(spans[i]!.start, spans[j]!.end)}]`;
    pos = spans[j]!.end;
    i = j;
  }
  return out + text.slice(pos);
}
