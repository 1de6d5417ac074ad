/**
 * The only way the panel creates DOM: elements with attributes and TEXT content. Nothing here parses
 * HTML (no innerHTML, insertAdjacentHTML, outerHTML or document.write), so document text such as
 * `<img src=x onerror=alert(1)>` or `</script>` is shown as those characters and never runs.
 */

type Child = Node | string | null | undefined | false;

/** `h('span', { class: 'x', 'aria-label': label }, 'text', child)`: attributes via setAttribute, strings as text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (/^on/i.test(name) || name === 'style') throw new Error(`dom.h: attribute ${name} is not allowed (use listeners and CSSOM)`);
    el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

/** Replaces all children of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, ...children);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`attention panel: #${id} is missing from the page`);
  return el as T;
}
