// Tagged SQL: values become $n parameters, nested fragments are spliced. SQL is never built from user strings.

export interface SqlFragment {
  readonly strings: readonly string[];
  readonly values: readonly unknown[];
  readonly __sql: true;
}

export function sql(strings: TemplateStringsArray | readonly string[], ...values: unknown[]): SqlFragment {
  return { strings: [...strings], values, __sql: true };
}

const isFragment = (v: unknown): v is SqlFragment => typeof v === 'object' && v !== null && (v as SqlFragment).__sql === true;

/** Joins fragments with a separator fragment (e.g. sql` AND `). */
export function join(parts: SqlFragment[], separator: SqlFragment = sql`, `): SqlFragment {
  if (parts.length === 0) return sql``;
  const strings: string[] = [''];
  const values: unknown[] = [];
  parts.forEach((p, i) => {
    const frag = i === 0 ? p : concat(separator, p);
    strings[strings.length - 1] += frag.strings[0];
    for (let k = 0; k < frag.values.length; k++) {
      values.push(frag.values[k]);
      strings.push(frag.strings[k + 1]);
    }
  });
  return { strings, values, __sql: true };
}

function concat(a: SqlFragment, b: SqlFragment): SqlFragment {
  const strings = [...a.strings.slice(0, -1), a.strings[a.strings.length - 1] + b.strings[0], ...b.strings.slice(1)];
  return { strings, values: [...a.values, ...b.values], __sql: true };
}

/** Renders to `$1`-style text with a flat parameter list. */
export function render(frag: SqlFragment): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const walk = (f: SqlFragment): string => {
    let text = f.strings[0];
    f.values.forEach((v, i) => {
      text += isFragment(v) ? walk(v) : `$${values.push(v)}`;
      text += f.strings[i + 1];
    });
    return text;
  };
  return { text: walk(frag), values };
}
