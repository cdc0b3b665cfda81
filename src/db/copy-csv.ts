// Values as fields of COPY's csv format (FORMAT csv), for every writer that sends rows through COPY.

/** One stored value as a COPY csv field: empty (unquoted) is NULL, text is always quoted (quotes doubled). */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 't' : 'f';
  return `"${String(v).replace(/"/g, '""')}"`;
}
