// Which Importer runs each kind. Importer modules register themselves when loaded; the core loads a kind's module on
// first use, so a build without one of them still starts (and says which importer is missing).
import { IMPORT_KINDS, type Importer, type ImportKind } from './types.js';

const registry = new Map<ImportKind, Importer>();

/** Module of each kind, relative to this file; importing it calls registerImporter. */
const MODULES: Record<ImportKind, string> = {
  boundaries: './boundaries.js',
  'city-years': './city-years.js',
  firms: './firms.js',
  'firm-years': './firm-years.js',
};

export function registerImporter(imp: Importer): void {
  registry.set(imp.kind, imp);
}

export class ImportNotAvailable extends Error {}

export function isImportKind(k: string): k is ImportKind {
  return (IMPORT_KINDS as readonly string[]).includes(k);
}

export async function importerFor(kind: ImportKind): Promise<Importer> {
  if (!isImportKind(kind)) throw new ImportNotAvailable(`unknown import kind '${String(kind)}' (one of ${IMPORT_KINDS.join(', ')})`);
  let imp = registry.get(kind);
  if (!imp) {
    const spec = MODULES[kind];
    try {
      const mod = (await import(spec)) as { importer?: Importer };
      if (mod.importer && !registry.has(kind)) registerImporter(mod.importer);
    } catch (e) {
      throw new ImportNotAvailable(`the ${kind} importer is not available in this build (${(e as Error).message})`);
    }
    imp = registry.get(kind);
    if (!imp) throw new ImportNotAvailable(`the ${kind} importer did not register itself (src/import/${spec.slice(2, -3)}.ts)`);
  }
  return imp;
}
