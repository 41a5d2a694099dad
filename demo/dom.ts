// The DOM helpers the demo's pages share.

/** The element with this id; a page missing it is a bug in the page, reported by name. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page is missing #${id}`);
  return e as T;
}

/** A status line: `show(text)` says how things stand; `show(text, true)` marks an error and records it in `errors`. */
export function statusLine(el: HTMLElement, errors: string[]): (text: string, error?: boolean) => void {
  return (text, error = false) => {
    el.textContent = text;
    el.classList.toggle('error', error);
    if (error) errors.push(text);
  };
}

/** Fills a <dl> with [term, description] rows. */
export function fillStats(dl: HTMLDListElement, rows: [string, string][]): void {
  dl.replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    return [dt, dd];
  }));
}
