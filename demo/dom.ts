// The one DOM helper the demo's pages share.

/** The element with this id; a page missing it is a bug in the page, reported by name. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page is missing #${id}`);
  return e as T;
}
