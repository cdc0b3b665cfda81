// The side panel: a summary of the shown indicator, or the clicked city's figures, firms and queen neighbours.
// Every figure carries its raw value in data-value (what GraphQL returned), the text is the formatted value.
import { LISA, fmt } from './classes.js';

const $ = (id) => document.getElementById(id);

const FIGURES = [
  ['RTA', 'RTA', (r) => r.rta],
  ['NQP', 'NQP', (r) => r.nqp],
  ['gdp', 'GDP', (r) => r.metrics?.gdp],
  ['population', 'Population (10k)', (r) => r.metrics?.population],
  ['urbanShare', 'Urban share', (r) => r.metrics?.urbanShare],
  ['fiscalSpending', 'Fiscal spending', (r) => r.metrics?.fiscalSpending],
  ['fiscalRevenue', 'Fiscal revenue', (r) => r.metrics?.fiscalRevenue],
  ['tertiaryShare', 'Tertiary share', (r) => r.metrics?.tertiaryShare],
  ['educationShare', 'Education share', (r) => r.metrics?.educationShare],
  ['loans', 'Loans', (r) => r.metrics?.loans],
  ['dfu', 'DFU (data-factor use)', (r) => r.metrics?.dfu],
  ['rid', 'RID (robot density)', (r) => r.metrics?.rid],
  ['pc', 'PC (patents)', (r) => r.metrics?.pc],
];

const KINDS = [
  ['q1', 'Fledgling', '雏鹰', '#74c476'],
  ['q2', 'Gazelle', '瞪羚', '#fd8d3c'],
  ['q3', 'Unicorn', '独角兽', '#9e9ac8'],
];

const el = (tag, props = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k in e) e[k] = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
};

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function renderCity({ city, year, record, metric, importedValue, lisa, byCode, onSelect }) {
  $('city-name').textContent = city.name;
  $('city-name').dataset.code = city.code;
  // imported units may have no province / region: only what is known is shown
  const meta = [
    city.province ? el('span', { lang: 'zh-CN', textContent: city.province }) : null,
    el('span', { className: 'mono', textContent: city.code }),
    city.region ? el('span', { textContent: city.region }) : null,
  ].filter(Boolean);
  $('city-meta').replaceChildren(
    ...meta.flatMap((m, i) => (i ? [' · ', m] : [m])),
  );
  $('city-year').textContent = String(year);

  const tag = $('city-lisa');
  if (lisa) {
    const l = lisa.local;
    const k = !l ? 'OUT' : l.pValue < 0.05 ? l.quadrant : 'NS';
    tag.replaceChildren(
      el('span', { className: 'swatch', style: `background:${LISA[k].color}` }),
      el('span', { textContent: `${LISA[k].label}${l ? ` · p ${l.pValue < 0.001 ? '< 0.001' : `= ${fmt(l.pValue)}`}` : ''}` }),
    );
    tag.dataset.cluster = k;
    tag.hidden = false;
  } else tag.hidden = true;

  const rows = [];
  const addRow = (field, label, v, integer = false) => {
    const value = num(v);
    rows.push(el('tr', { dataset: { field, value: value === null ? '' : String(value) }, className: field === metric.id ? 'current' : '' },
      el('th', { scope: 'row', textContent: label }),
      el('td', { textContent: fmt(value, integer) })));
  };
  if (metric.imported) addRow(metric.id, metric.variable, importedValue);
  for (const [field, label, get] of FIGURES) addRow(field, label, record ? get(record) : null);
  $('city-figures').tBodies[0].replaceChildren(...rows);

  const counts = KINDS.map(([k]) => num(record?.[k]));
  const total = counts.every((c) => c !== null) ? counts.reduce((a, b) => a + b, 0) : null;
  const most = Math.max(1, ...counts.map((c) => c ?? 0));
  $('city-firms').replaceChildren(
    ...KINDS.map(([k, en, zh, colour], i) => el('div', { className: `firm-row${metric.id === k ? ' current' : ''}`, dataset: { field: k, value: counts[i] === null ? '' : String(counts[i]) } },
      el('span', { className: 'firm-kind' }, `${en} `, el('span', { lang: 'zh-CN', className: 'muted', textContent: zh })),
      el('span', { className: 'bar' }, el('span', { style: `width:${((counts[i] ?? 0) / most) * 100}%;background:${colour}` })),
      el('span', { className: 'firm-count', textContent: fmt(counts[i], true) }))),
    el('div', { className: `firm-row total${metric.id === 'firms' ? ' current' : ''}`, dataset: { field: 'firms', value: total === null ? '' : String(total) } },
      el('span', { className: 'firm-kind', textContent: 'All kinds' }), el('span'),
      el('span', { className: 'firm-count', textContent: fmt(total, true) })),
  );

  const nbrs = city.neighbours.map((c) => byCode.get(c)).filter(Boolean).sort((a, b) => a.code.localeCompare(b.code));
  $('nbr-count').textContent = nbrs.length ? `(${nbrs.length})` : '';
  $('city-neighbours').replaceChildren(...(nbrs.length
    ? nbrs.map((n) => el('button', { type: 'button', className: 'chip', textContent: n.name, title: n.province ? `${n.province} · ${n.code}` : n.code, dataset: { code: n.code }, onclick: () => onSelect(n.code) }))
    : [el('p', { className: 'muted', textContent: 'None: no other city within ~0.5 km of its outline (an island).' })]));
}

export function renderSummary({ state, metric, paint }) {
  const s = $('summary');
  if (!state.cities.length) return;
  const years = state.years.length ? `${state.years[0]}–${state.years[state.years.length - 1]}` : 'no years';
  const parts = [el('p', { textContent: `${state.cities.length} ${state.dataset?.unitLabel === 'city' ? 'cities' : 'units'} · years ${years}.` })];
  if (paint?.kind === 'values') {
    const v = paint.values.filter((x) => x !== null).sort((a, b) => a - b);
    if (v.length) {
      const median = v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
      parts.push(el('h3', { textContent: `${metric.label} · ${state.year}` }), el('dl', { className: 'stats' },
        el('dt', { textContent: state.dataset?.unitLabel === 'city' ? 'Cities with a value' : 'Units with a value' }), el('dd', { textContent: String(v.length) }),
        el('dt', { textContent: 'Median' }), el('dd', { textContent: fmt(median, false) }),
        el('dt', { textContent: 'Range' }), el('dd', { textContent: `${fmt(v[0], !!metric.integer)} – ${fmt(v[v.length - 1], !!metric.integer)}` })));
    } else parts.push(el('p', { textContent: `No values of ${metric.label} in ${state.year}.` }));
  } else if (paint?.kind === 'lisa' && paint.result) {
    const r = paint.result;
    parts.push(el('h3', { textContent: `${metric.label} · ${state.year} · LISA` }), el('dl', { className: 'stats' },
      el('dt', { textContent: "Moran's I" }), el('dd', { textContent: fmt(r.moran.I) }),
      el('dt', { textContent: 'p-value' }), el('dd', { textContent: r.moran.pValue < 0.001 ? '< 0.001' : fmt(r.moran.pValue) }),
      el('dt', { textContent: 'Cities in the statistics' }), el('dd', { textContent: String(r.weights.n) }),
      el('dt', { textContent: 'Left out' }), el('dd', { textContent: `${r.islands.length} islands, ${r.missing.length} without a value` })));
  }
  s.replaceChildren(...parts);
}
