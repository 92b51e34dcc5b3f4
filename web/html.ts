// A tiny HTML template: every interpolated value is escaped unless it is already Html, so pages cannot inject markup.

export class Html {
  constructor(readonly text: string) {}
  toString(): string { return this.text; }
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESC[c]!);

type Part = Html | string | number | boolean | null | undefined | Part[];

const render = (v: Part): string => {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
};

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => { out += render(v) + strings[i + 1]!; });
  return new Html(out);
}

/** Trusted markup built elsewhere (e.g. JSON for a data attribute is still escaped by html``). */
export const raw = (s: string): Html => new Html(s);
