/** A tiny element builder: the views are small enough that a framework would be more to read than it saves. */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'value' && node instanceof HTMLInputElement) node.value = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}
