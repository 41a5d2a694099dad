/**
 * The tagger panel: trains NameTagger in the page, then highlights the names it finds in whatever the
 * user types (re-tagged on every edit, and after every check while training).
 */
import type { Engine } from 'webrnn';
import type { DemoState } from './demo-state.ts';
import { HELD_OUT_ROWS, MAX_TYPED, NameTagger, TRAIN_SENTENCES, type Span } from './name-tagger.ts';
import { CLAUSES, FIRST_NAMES, LAST_NAMES } from './tagger-data.ts';
import { byId } from './dom.ts';

/** Training ends after this many steps, or earlier once held-out F1 reaches TARGET_F1. */
const MAX_STEPS = 300;
const MIN_STEPS = 60;
const TARGET_F1 = 0.985;
const CHECK_EVERY = 10;
const EXAMPLE = 'Yesterday Maria Garcia met David in Paris, and on Monday they called Ingrid.';

export class TaggerPanel {
  private tagger: NameTagger | undefined;
  private training = false;
  /** the text whose tagging is in flight or shown, so a slow answer never overwrites a newer one */
  private latest = 0;
  private readonly el = {
    note: byId('tagger-note'),
    train: byId<HTMLButtonElement>('tagger-train'),
    status: byId('tagger-status'),
    input: byId<HTMLTextAreaElement>('tagger-input'),
    output: byId('tagger-output'),
  };

  constructor(private readonly engine: Engine, private readonly state: DemoState) {
    this.el.note.textContent =
      "A character-level bidirectional GRU that labels each character as part of a person's name or not. " +
      `It is trained in this page, from random weights, on ${TRAIN_SENTENCES.toLocaleString('en')} sentences generated from ` +
      `${CLAUSES.length} clause templates with ${FIRST_NAMES.length} first names and ${LAST_NAMES.length} surnames, mixed with ` +
      'capitalised words that are not names (days, months, cities, sentence starts). It knows those names best; ' +
      'a name it never saw is a guess from capitalisation and context. A word is highlighted when most of its characters are tagged.';
    this.el.input.maxLength = MAX_TYPED;
    this.el.input.value = EXAMPLE;
    this.el.train.addEventListener('click', () => void this.train());
    let timer: ReturnType<typeof setTimeout> | undefined;
    this.el.input.addEventListener('input', () => {
      // Tag once typing pauses briefly, not on every keystroke.
      clearTimeout(timer);
      timer = setTimeout(() => void this.retag(), 120);
    });
    this.render(this.el.input.value, []);
  }

  async train(): Promise<void> {
    if (this.training) return;
    this.training = true;
    this.el.train.disabled = true;
    this.el.status.classList.remove('error');
    const t = this.state.tagger;
    try {
      const old = this.tagger;
      this.tagger = undefined; // typing meanwhile shows the text without highlights
      await old?.close();
      const tagger = (this.tagger = new NameTagger(this.engine));
      Object.assign(t, { steps: 0, losses: [], f1: undefined, checks: [], ready: false });
      const t0 = performance.now();
      while (t.steps < MAX_STEPS) {
        const loss = await tagger.trainStep();
        t.steps = tagger.step;
        t.losses.push(loss);
        if (t.steps % CHECK_EVERY === 0) {
          t.f1 = await tagger.evaluate();
          t.checks.push({ step: t.steps, f1: t.f1 });
          await this.retag();
          if (t.steps >= MIN_STEPS && t.f1 >= TARGET_F1) break;
        }
        this.el.status.textContent = `Training: step ${t.steps}, loss ${loss.toFixed(3)}${t.f1 === undefined ? '' : `, held-out F1 ${t.f1.toFixed(3)}`}`;
      }
      if (t.checks[t.checks.length - 1]?.step !== t.steps) {
        t.f1 = await tagger.evaluate();
        t.checks.push({ step: t.steps, f1: t.f1 });
      }
      t.ready = true;
      this.el.status.textContent = `Trained in this page: ${t.steps} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
        `name-character F1 ${t.f1!.toFixed(3)} on ${HELD_OUT_ROWS} held-out rows of generated text (new sentences, same templates and names).`;
      this.el.train.textContent = 'Train again';
      await this.retag();
    } catch (e) {
      this.el.status.textContent = `Tagger training stopped: ${(e as Error).message}`;
      this.el.status.classList.add('error');
      this.state.errors.push((e as Error).message);
    } finally {
      this.training = false;
      this.el.train.disabled = false;
    }
  }

  private async retag(): Promise<void> {
    const text = this.el.input.value;
    const ticket = ++this.latest;
    if (!this.tagger) {
      this.state.tagger.spans = [];
      return this.render(text, []);
    }
    const spans = await this.tagger.tag(text);
    if (ticket !== this.latest) return;
    this.state.tagger.spans = spans.map((s) => ({ ...s, text: text.slice(s.start, s.end) }));
    this.render(text, spans);
  }

  /** The typed text with <mark> around each name span (text nodes only: typed text is never HTML). */
  private render(text: string, spans: Span[]): void {
    const parts: Node[] = [];
    let at = 0;
    for (const s of spans) {
      if (s.start > at) parts.push(document.createTextNode(text.slice(at, s.start)));
      const m = document.createElement('mark');
      m.textContent = text.slice(s.start, s.end);
      parts.push(m);
      at = s.end;
    }
    if (at < text.length) parts.push(document.createTextNode(text.slice(at)));
    if (!this.tagger) {
      const hint = document.createElement('span');
      hint.className = 'hint';
      hint.textContent = ' (train the tagger to see names highlighted)';
      parts.push(hint);
    }
    this.el.output.replaceChildren(...parts);
  }
}

