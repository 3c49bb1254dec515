/**
 * HTML templating with escaping by default: `html\`<p>${value}</p>\`` escapes every interpolated
 * value unless it is itself SafeHtml (the result of another `html` call or of `raw`). Arrays are
 * joined. There is no other way to put text into a page, so forgetting to escape is not possible.
 */

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

type Value = SafeHtml | string | number | bigint | boolean | null | undefined | readonly Value[];

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map((v: Value) => render(v)).join("");
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new SafeHtml(out);
}

/** Markup produced by a trusted generator (the QR encoder's SVG); never for user input. */
export const raw = (markup: string): SafeHtml => new SafeHtml(markup);

/**
 * JSON for a `<script type="application/json">` island: `<` is escaped so no value can close the
 * script element, and U+2028/2029 so older parsers do not choke.
 */
export function jsonIsland(id: string, data: unknown): SafeHtml {
  const json = JSON.stringify(data).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
  return new SafeHtml(`<script type="application/json" id="${escapeHtml(id)}">${json}</script>`);
}
