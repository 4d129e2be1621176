// DOM helpers. Every piece of data goes in as text (textContent / attribute values), never as markup,
// so request paths and log text from clients cannot inject anything.

/** h('td', { class: 'num', title: 'x' }, 'text', childNode, …) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  setAttrs(el, attrs)
  for (const child of children) if (child !== null && child !== undefined) el.append(typeof child === 'object' ? child : String(child))
  return el
}

const SVG = 'http://www.w3.org/2000/svg'
export function s(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag)
  setAttrs(el, attrs)
  if (text !== undefined) el.textContent = String(text)
  return el
}

function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs)) if (value !== null && value !== undefined && value !== false) el.setAttribute(key, String(value))
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren(...children.filter((c) => c !== null && c !== undefined))
}

export const time = (at) => new Date(at).toLocaleTimeString([], { hour12: false })
export const ms = (v) => (v === null || v === undefined ? '–' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(1)} ms`)
export const num = (v, digits = 1) => (v === 0 ? '0' : v >= 1000 ? Math.round(v).toLocaleString('en-US') : v.toFixed(digits))
export const pct = (share) => `${(share * 100).toFixed(share < 0.01 ? 3 : 1)} %`

/** Dollars with enough digits to show sub-cent session costs. */
export function money(v) {
  if (v === 0) return '$0'
  if (v >= 1) return `$${v.toFixed(2)}`
  if (v >= 0.01) return `$${v.toFixed(4)}`
  if (v >= 0.0000001) return `$${v.toFixed(7)}`
  return '< $0.0000001'
}

/** A figure tile: label, value, a muted line under it; `attrs` go on the tile (`class` is added to "tile"). */
export const tile = (label, value, sub = '', attrs = {}) =>
  h('div', { ...attrs, class: `tile ${attrs.class ?? ''}`.trim() }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value), h('div', { class: 'sub muted' }, sub))

/** Prepends a row/item and keeps at most `max` children (newest first). */
export function prepend(list, el, max) {
  list.querySelector(':scope > .empty')?.remove()
  list.prepend(el)
  while (list.children.length > max) list.lastElementChild.remove()
}
