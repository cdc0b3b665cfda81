// The study runner: builds the panels a study asks for (the domain layer's city panel under the study's sample rules,
// renamed to the study's names), runs each table block and returns publication Table models (src/report/table.ts).
// Nothing here knows a variable of the paper: every name comes from the study file.
import { defineComposite } from '../composites/index.js';
import type { Db } from '../db/db.js';
import { cityPanel, type Panel } from '../domain/index.js';
import { describe } from '../estimation/describe.js';
import { estimate } from '../estimation/estimate.js';
import { EstimationInputError, type EstimationResult } from '../estimation/result.js';
import type { ModelSpec } from '../estimation/spec.js';
import type { SpatialWeights } from '../estimation/spatial/index.js';
import { canonical } from '../jobs/analysis.js';
import { renderReportMaps, type ReportMaps } from '../report/maps.js';
import type { Table } from '../report/table.js';
import { descriptivesTableModel } from '../report/regression.js';
import { mediationTable, moranTable, regressionBlockTable, spatialTables } from './blocks.js';
import { fill, StudyInputError } from './roles.js';
import type { Block, PanelData, Study } from './schema.js';

export interface StudyTable { id: string; label: string; parts: Table[] }
export interface StudyOutcome { title: string; description: string; tables: StudyTable[]; maps?: ReportMaps }

export interface StudyProgress { step(label: string): void; done(label: string, seconds: number): void }

/** Fits a spec on a panel; the CLI runs the library here, a server job sends it to the worker pool. */
export type Fit = (spec: ModelSpec, panel: Panel) => Promise<EstimationResult>;
export const fitHere: Fit = async (spec, panel) => estimate(spec, panel);

export interface RunOptions {
  progress?: StudyProgress;
  fit?: Fit;
  /** called before each table (a job's cancellation point) */
  checkpoint?: () => Promise<void>;
}

export interface BlockContext {
  study: Study;
  db: Db;
  /** the block's panel */
  panel: Panel;
  panelOf(data: PanelData | undefined): Promise<Panel>;
  fit: Fit;
  /** run-time note placeholders of the block's panel */
  facts: Record<string, string>;
  path: string;
}

/** Run-time placeholders of a panel: {panel.nobs}, {panel.dropped}, ... */
export function panelFacts(p: Panel): Record<string, string> {
  const dropped = p.report.filter((r) => r.rowsDropped > 0).map((r) => `${r.rule} −${r.rowsDropped}`);
  const w = p.meta.sample.winsorize;
  return {
    'panel.nobs': String(p.nrows),
    'panel.dropped': dropped.length ? ` (${dropped.join(', ')})` : '',
    'panel.winsorize': w ? `${w.lower * 100}% / ${w.upper * 100}%` : 'no',
    'panel.rtaVariance': String(p.meta.agglomeration.rta.variance),
    'panel.dataVersion': String(p.meta.dataVersion),
    'panel.ruleVersion': p.meta.ruleVersion,
  };
}

/** The panel's columns under the study's names (data.rename: stored → study name). */
function renamed(p: Panel, rename: Record<string, string>): Panel {
  if (!Object.keys(rename).length) return p;
  const columns: Panel['columns'] = {};
  for (const [k, c] of Object.entries(p.columns)) {
    const to = rename[k] ?? k;
    if (to in columns || (to !== k && to in p.columns && !(to in rename))) throw new StudyInputError(`'${k}' renamed to '${to}', which the panel already has`, 'data.rename');
    columns[to] = c;
  }
  for (const k of Object.keys(rename)) if (!(k in p.columns)) throw new StudyInputError(`no stored variable '${k}' (panel columns: ${Object.keys(p.columns).join(', ')})`, `data.rename.${k}`);
  return Object.assign({ nrows: p.nrows, columns }, { report: p.report, meta: p.meta }) as Panel;
}

/** Panels by their data options (study data merged with a block's or model's), built once each. */
function panelCache(db: Db, study: Study): (data?: PanelData) => Promise<Panel> {
  const cache = new Map<string, Promise<Panel>>();
  return (data) => {
    const sample = data?.sample || study.data.sample ? { ...study.data.sample, ...data?.sample } : undefined;
    const rta = data?.rta || study.data.rta ? { ...study.data.rta, ...data?.rta } : undefined;
    const key = canonical({ sample, rta });
    let p = cache.get(key);
    if (!p) {
      p = (async () => {
        try {
          return renamed(await cityPanel(db, { ...(sample ? { sample } : {}), ...(rta ? { rta } : {}) } as Parameters<typeof cityPanel>[1]), study.data.rename);
        } catch (e) {
          if (e instanceof EstimationInputError && !(e instanceof StudyInputError)) throw new StudyInputError(e.message, `data.${(e as EstimationInputError).field ?? 'sample'}`);
          throw e;
        }
      })();
      cache.set(key, p);
    }
    return p;
  };
}

async function runBlock(b: Block, c: BlockContext): Promise<Table[]> {
  const notes = (ns: string[], extra: Record<string, string> = {}) => ns.map((n) => fill(n, { ...c.facts, ...extra }));
  switch (b.kind) {
    case 'descriptives': {
      const rows = b.variables.map((v, i) => {
        const col = c.panel.columns[v];
        if (!(col instanceof Float64Array)) throw new StudyInputError(col ? `'${v}' is not numeric` : `no variable '${v}' in the panel`, `${c.path}.variables.${i}`);
        return describe(v, col);
      });
      return [descriptivesTableModel(rows, { title: fill(b.title, c.facts), notes: notes(b.notes) })];
    }
    case 'regression': return [await regressionBlockTable(b, c, notes)];
    case 'mediation': return [await mediationTable(b, c, notes)];
    case 'moran': return [await moranTable(b, c, notes)];
    case 'spatial': return spatialTables(b, c, notes);
  }
}

/** Runs every table of a (parsed) study on the store. */
export async function runStudy(db: Db, study: Study, o: RunOptions = {}): Promise<StudyOutcome> {
  const fit = o.fit ?? fitHere;
  const panelOf = panelCache(db, study);
  const time = async <T>(label: string, f: () => Promise<T>): Promise<T> => {
    o.progress?.step(label);
    const t = Date.now();
    const r = await f();
    o.progress?.done(label, (Date.now() - t) / 1000);
    return r;
  };
  // the study's composites are defined (or redefined) first: they are variables of every panel below
  for (const [i, c] of study.composites.entries()) {
    try {
      await defineComposite(db, c);
    } catch (e) {
      if (e instanceof EstimationInputError) throw new StudyInputError(e.message.replace(/^composite\.[^:]*: /, ''), `composites.${i}${(e.field ?? '').replace(/^composite/, '')}`);
      throw e;
    }
  }
  await time('panel', () => panelOf(undefined));
  const tables: StudyTable[] = [];
  for (const [i, t] of study.tables.entries()) {
    await o.checkpoint?.();
    const label = t.label ?? t.id;
    const parts = await time(label, async () => {
      const out: Table[] = [];
      for (const [j, b] of [t.block, ...t.more].entries()) {
        const panel = await panelOf(b.data);
        const path = j === 0 ? `tables.${i}.block` : `tables.${i}.more.${j - 1}`;
        out.push(...await runBlock(b, { study, db, panel, panelOf, fit, facts: panelFacts(panel), path }));
      }
      return out;
    });
    tables.push({ id: t.id, label, parts });
  }
  const maps = study.maps ? await studyMaps(db, study, panelOf) : undefined;
  return { title: study.title, description: study.description, tables, maps };
}

/** Values of a variable by unit in one period. */
function valuesIn(p: Panel, study: Study, variable: string, year: number, path: string): Map<string, number> {
  const v = p.columns[variable], ids = p.columns[study.data.panel.id] as (string | null)[], t = p.columns[study.data.panel.time] as Float64Array;
  if (!(v instanceof Float64Array)) throw new StudyInputError(`no numeric variable '${variable}' in the panel`, path);
  const m = new Map<string, number>();
  for (let i = 0; i < p.nrows; i++) if (t[i] === year && ids[i] !== null && Number.isFinite(v[i])) m.set(ids[i]!, v[i]);
  return m;
}

async function studyMaps(db: Db, study: Study, panelOf: (d?: PanelData) => Promise<Panel>): Promise<ReportMaps | undefined> {
  const m = study.maps!;
  if (!m.lisa) throw new StudyInputError('maps need a lisa variable', 'maps.lisa');
  const p = await panelOf(m.data);
  const yv = p.columns[m.yearOf ?? m.lisa.variable], t = p.columns[study.data.panel.time] as Float64Array;
  if (!(yv instanceof Float64Array)) throw new StudyInputError(`no numeric variable '${m.yearOf ?? m.lisa.variable}' in the panel`, m.yearOf ? 'maps.yearOf' : 'maps.lisa.variable');
  let year = -Infinity;
  for (let i = 0; i < p.nrows; i++) if (Number.isFinite(yv[i]) && t[i] > year) year = t[i];
  if (!Number.isFinite(year)) throw new StudyInputError(`no values of '${m.yearOf ?? m.lisa.variable}'`, 'maps');
  const y = { period: String(year) };
  return renderReportMaps(db, year,
    m.choropleths.map((c, i) => ({ id: c.id, title: fill(c.title, y), subtitle: fill(c.subtitle, y), palette: c.palette, values: valuesIn(p, study, c.variable, year, `maps.choropleths.${i}.variable`) })),
    { id: m.lisa.id, title: fill(m.lisa.title, y), variable: m.lisa.variable, values: valuesIn(p, study, m.lisa.variable, year, 'maps.lisa.variable') });
}

export type { SpatialWeights };
