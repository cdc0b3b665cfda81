// The shipped table of prefecture-level changes (data/admin-changes.json, described by admin-changes.schema.json):
// loading and checking it, following a unit's successors to the units a store holds, and the set of units whose area
// changed within a year window (the sample rule dropChangedUnits). Pure apart from reading the shipped file once.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const Unit = z.object({ name: z.string().min(1), code: z.string().regex(/^[0-9]{6}$/).nullable() }).strict();
export type HistoryUnit = z.infer<typeof Unit>;

export const AdminChangeSchema = z.object({
  year: z.number().int().min(1949).max(2100),
  kind: z.enum(['rename', 'conversion', 'abolition', 'new', 'upgrade']),
  province: z.string().min(1),
  old: Unit.optional(),
  new: Unit.optional(),
  successors: z.array(Unit).min(1).optional(),
  from: z.array(Unit).optional(),
  areaChanged: z.boolean(),
  source: z.string().min(1),
}).strict().superRefine((c, ctx) => {
  const need = (k: 'old' | 'new' | 'successors', ok: boolean) => { if (!ok) ctx.addIssue({ code: 'custom', path: [k], message: `${c.kind} needs ${k}` }); };
  if (c.kind !== 'new') need('old', Boolean(c.old));
  if (c.kind !== 'abolition') need('new', Boolean(c.new?.code));
  if (c.kind === 'abolition') need('successors', Boolean(c.successors?.length));
});
export type AdminChange = z.infer<typeof AdminChangeSchema>;

export const AdminChangesFileSchema = z.object({
  $schema: z.string().optional(), description: z.string().optional(), changes: z.array(AdminChangeSchema),
}).strict();

/** Parses a changes document (throws naming the entry and field of the first problem). */
export function parseAdminChanges(doc: unknown): AdminChange[] {
  const r = AdminChangesFileSchema.safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`admin changes: ${i.path.join('.')}: ${i.message}`);
  }
  return [...r.data.changes].sort((a, b) => a.year - b.year);
}

export const ADMIN_CHANGES_FILE = new URL('../../data/admin-changes.json', import.meta.url);
let shipped: AdminChange[] | undefined;
/** The shipped table, sorted by year (read once). */
export function adminChanges(): AdminChange[] {
  shipped ??= parseAdminChanges(JSON.parse(readFileSync(ADMIN_CHANGES_FILE, 'utf8')));
  return shipped;
}

/** How an old name or code reads, given the units a store holds. */
export type HistoryReading =
  | { ok: true; code: string; name: string; via: string }
  | { ok: false; kind: 'abolished' | 'not-held'; reason: string; candidates: string[] };

/**
 * Follows `change` (whose old side is the unit a row names) forward to a unit the store holds: renames, conversions
 * and upgrades lead to the new unit (and on through later changes of it); an abolition is the end of the unit.
 * `display` is the name as the row gives it.
 */
export function followChange(change: AdminChange, all: AdminChange[], held: (code: string) => string | undefined, display: string): HistoryReading {
  const steps: string[] = [];
  let c: AdminChange | undefined = change;
  for (let guard = 0; c && guard < 20; guard++) {
    if (c.kind === 'abolition') {
      const succ = c.successors!;
      return {
        ok: false, kind: 'abolished', candidates: succ.map((s) => `${s.name} (${s.code ?? 'no code'})`),
        reason: `${display}: abolished ${c.year} (${succ.map((s) => s.name).join(' / ')})${steps.length ? ` [${steps.join(', ')}]` : ''}`,
      };
    }
    const to: HistoryUnit = c.new!;
    steps.push(`${c.old?.name ?? display} → ${to.name} ${c.year}`);
    const name = to.code ? held(to.code) : undefined;
    const year: number = c.year;
    if (to.code && name !== undefined) {
      // later renames that keep the code only add to the story (思茅地区 → 思茅市 2003, 思茅市 → 普洱市 2007)
      const seen = new Set<AdminChange>([c]);
      for (let cur = to, y = year; ;) {
        const r = all.find((n) => !seen.has(n) && n.kind === 'rename' && n.year >= y && n.old?.code === cur.code);
        if (!r) break;
        seen.add(r);
        steps.push(`${r.old!.name} → ${r.new!.name} ${r.year}`);
        cur = r.new!; y = r.year;
      }
      return { ok: true, code: to.code, name, via: steps.join(', ') };
    }
    c = all.find((n) => n !== c && n.year >= year && n.old && ((to.code && n.old.code === to.code) || n.old.name === to.name));
  }
  return { ok: false, kind: 'not-held', candidates: [], reason: `${display}: became ${steps.join(', ')}, which is not among the stored units` };
}

/**
 * Codes of the units whose administrative area changed in a year of the window (from, to]: a change in the first
 * year of the window took effect before the sample starts. Only entries marked areaChanged count (a rename or a
 * 地区→市 conversion keeps the area). Every code an entry names counts: old, new, successors, from.
 */
export function unitsChangedWithin(from: number, to: number, changes: AdminChange[] = adminChanges()): Map<string, AdminChange[]> {
  const out = new Map<string, AdminChange[]>();
  for (const c of changes) {
    if (!c.areaChanged || c.year <= from || c.year > to) continue;
    for (const u of [c.old, c.new, ...(c.successors ?? []), ...(c.from ?? [])]) {
      if (u?.code) out.set(u.code, [...(out.get(u.code) ?? []), c]);
    }
  }
  return out;
}
