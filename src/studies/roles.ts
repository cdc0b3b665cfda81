// Role placeholders of a study file: `{outcome}`, `{core}`, `{controls}`, `{mediators}`, `{id}`, `{time}` and the
// study's own `roles.variables`. In a string a list role is joined with " + " (formula use; with an empty list a
// preceding " + " goes too); an array element that is exactly a list placeholder is spliced in. Object keys are
// expanded as values are (labels). `{list:name}` writes a list role as prose ("a, b and c", for titles).
// Placeholders filled at run time (`{panel.nobs}`, `{vcovType}`, ...) pass through.
import { EstimationInputError } from '../estimation/result.js';
import type { Study } from './schema.js';

/** A bad study file: the message starts with the dotted path of the field at fault. */
export class StudyInputError extends EstimationInputError {
  constructor(message: string, public readonly path: string) {
    super(`${path}: ${message}`, path);
    this.name = 'StudyInputError';
  }
}

export type RoleValues = Record<string, string | string[]>;

const PLACEHOLDER = /\{((?:list:)?[A-Za-z_][A-Za-z0-9_.]*)\}/g;

/** Names filled in by the runner (notes, titles, mediation specs): left in place by the role expansion. */
export const RUNTIME = new Set([
  'mediator', 'vcovType', 'n', 'islands', 'period',
  'panel.nobs', 'panel.dropped', 'panel.winsorize', 'panel.rtaVariance', 'panel.dataVersion', 'panel.ruleVersion',
]);

export function roleValues(s: Study): RoleValues {
  const r = s.roles;
  return { ...r.variables, outcome: r.outcome, core: r.core, controls: r.controls, mediators: r.mediators, id: s.data.panel.id, time: s.data.panel.time };
}

export function expandString(text: string, values: RoleValues, path: string, passThrough: Set<string> = RUNTIME): string {
  // an empty list drops its " + " with it: "y ~ x + {controls}" without controls is "y ~ x"
  const t = text.replace(/\s*\+\s*\{([A-Za-z_][A-Za-z0-9_.]*)\}/g, (m, k: string) => (Array.isArray(values[k]) && values[k].length === 0 ? '' : m));
  return t.replace(PLACEHOLDER, (m, key: string) => {
    const prose = key.startsWith('list:');
    const k = prose ? key.slice(5) : key;
    const v = values[k];
    if (v === undefined) {
      if (passThrough.has(k)) return m;
      throw new StudyInputError(`unknown placeholder {${k}} (roles: ${Object.keys(values).sort().join(', ')})`, path);
    }
    if (!Array.isArray(v)) return v;
    return prose && v.length > 1 ? `${v.slice(0, -1).join(', ')} and ${v[v.length - 1]}` : v.join(prose ? '' : ' + ');
  });
}

/** Expands every string of a JSON value (keys too); `{list}` elements of arrays are spliced. */
export function expandDeep<T>(v: T, values: RoleValues, path: string, passThrough: Set<string> = RUNTIME): T {
  if (typeof v === 'string') return expandString(v, values, path, passThrough) as T;
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    v.forEach((x, i) => {
      const m = typeof x === 'string' ? /^\{([A-Za-z_][A-Za-z0-9_.]*)\}$/.exec(x) : null;
      const list = m ? values[m[1]] : undefined;
      if (Array.isArray(list)) out.push(...list);
      else out.push(expandDeep(x, values, `${path}.${i}`, passThrough));
    });
    return out as T;
  }
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[expandString(k, values, `${path}.${k}`, passThrough)] = expandDeep(x, values, `${path}.${k}`, passThrough);
    return o as T;
  }
  return v;
}

/** Fills the run-time placeholders of a note or title. */
export function fill(text: string, values: Record<string, string>): string {
  return text.replace(PLACEHOLDER, (m, k: string) => values[k] ?? m);
}
