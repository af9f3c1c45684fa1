/**
 * A few lines of DOM building: elements with attributes, properties and children, and text
 * always set as text (never as HTML), so nothing a peer sends can become markup.
 */

type Child = Node | string | null | undefined | false;

/** Attributes (strings), event handlers (`on…` functions) and boolean properties. */
export type Attributes = Record<
  string,
  string | boolean | number | ((event: Event) => void) | undefined
>;

/**
 * Makes an element.
 *
 * @example
 * ```ts
 * el('button', { type: 'submit', class: 'primary' }, 'Unlock');
 * ```
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  for (const child of children)
    if (child !== null && child !== undefined && child !== false) element.append(child);
  return element;
}

/** Replaces an element's children. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(
    ...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false),
  );
}
