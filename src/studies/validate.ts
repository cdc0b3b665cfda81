// Reading a study: zod shape check, role placeholders expanded, every model spec checked as the estimate service
// would. A bad file is refused with the dotted path of the first field at fault (`tables.1.block.models.0.spec.estimator`).
import { parseCompositeDefinition } from '../composites/index.js';
import { validateSpec } from '../estimation/estimate.js';
import { parseFormula } from '../estimation/formula.js';
import { EstimationInputError } from '../estimation/result.js';
import { expandDeep, roleValues, StudyInputError } from './roles.js';
import { StudySchema, type Block, type Study } from './schema.js';

type Issue = { path: PropertyKey[]; message: string; code?: string; errors?: Issue[][]; options?: unknown[]; discriminator?: string };

/** The deepest branch of a union issue (the one that got furthest into the input). */
function deepest(issue: Issue, prefix: PropertyKey[]): { path: PropertyKey[]; message: string } {
  const here = [...prefix, ...issue.path];
  if (issue.code !== 'invalid_union' || !issue.errors?.length) return { path: here, message: issue.message };
  const c = issue.errors.flat().map((i) => deepest(i, here)).sort((a, b) => b.path.length - a.path.length);
  return c[0] ?? { path: here, message: issue.message };
}

function specError(e: unknown, path: string): never {
  if (e instanceof EstimationInputError) {
    const f = e.field && e.field !== '(spec)' ? `.${e.field}` : '';
    throw new StudyInputError(e.message.replace(/^invalid spec at '[^']*': /, ''), `${path}${f}`);
  }
  throw e;
}

function checkSpec(spec: unknown, path: string): void {
  try {
    const s = validateSpec(spec);
    if (s.formula) parseFormula(s.formula);
  } catch (e) { specError(e, path); }
}

function checkBlock(b: Block, path: string): void {
  if (b.kind === 'regression') b.models.forEach((m, i) => checkSpec(m.spec, `${path}.models.${i}.spec`));
  if (b.kind === 'mediation') {
    b.mediators.forEach((m, i) => checkSpec(expandDeep(b.spec, { mediator: m }, `${path}.spec`, new Set(['vcovType'])), `${path}.mediators.${i}`));
    if ((b.spec as { estimator?: unknown }).estimator !== 'mediation') throw new StudyInputError(`must be 'mediation' in a mediation block`, `${path}.spec.estimator`);
  }
  if (b.kind === 'spatial') {
    try { parseFormula(b.formula); } catch (e) { specError(e, `${path}.formula`); }
  }
}

/** Parses and checks a study (JSON text or value); roles are expanded in the tables and maps. */
export function parseStudy(input: unknown): Study {
  let raw = input;
  if (typeof input === 'string') {
    try { raw = JSON.parse(input); } catch (e) { throw new StudyInputError(`not JSON: ${(e as Error).message}`, '(file)'); }
  }
  const r = StudySchema.safeParse(raw);
  if (!r.success) {
    const { path, message } = deepest(r.error.issues[0] as unknown as Issue, []);
    throw new StudyInputError(message, path.map(String).join('.') || '(study)');
  }
  const s = r.data;
  const targets = Object.values(s.data.rename);
  const dup = targets.find((t, i) => targets.indexOf(t) !== i);
  if (dup) throw new StudyInputError(`two stored variables renamed to '${dup}'`, 'data.rename');
  s.composites.forEach((c, i) => {
    try { parseCompositeDefinition(c); } catch (e) {
      if (e instanceof EstimationInputError) throw new StudyInputError(e.message.replace(/^composite\.[^:]*: /, ''), `composites.${i}${(e.field ?? '').replace(/^composite/, '')}`);
      throw e;
    }
  });
  const values = roleValues(s);
  const tables = s.tables.map((t, i) => expandDeep(t, values, `tables.${i}`));
  const maps = s.maps ? expandDeep(s.maps, values, 'maps') : undefined;
  tables.forEach((t, i) => {
    checkBlock(t.block, `tables.${i}.block`);
    t.more.forEach((b, j) => checkBlock(b, `tables.${i}.more.${j}`));
  });
  const ids = tables.map((t) => t.id);
  const again = ids.find((t, i) => ids.indexOf(t) !== i);
  if (again) throw new StudyInputError(`table id '${again}' used twice`, `tables.${ids.lastIndexOf(again)}.id`);
  return { ...s, tables, maps };
}
