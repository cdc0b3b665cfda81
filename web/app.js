// The city map: outlines once, one GraphQL request per year (or indicator / view) change, a quantile choropleth or
// LISA clusters painted through feature state, and a side panel for the clicked city and its queen neighbours.
// Everything comes from this origin: MapLibre from /vendor, data from /graphql, an inline style with no glyphs.
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';
import { ApiError, gql } from './api.js';
import { LISA, MISSING, NEIGHBOUR_COLOUR, SELECTED_COLOUR, classOf, fmt, legendClasses, quantileBreaks } from './classes.js';
import { renderCity, renderSummary } from './panel.js';
import { watchDataChanges } from './live.js';

const $ = (id) => document.getElementById(id);
const root = document.documentElement;

// ---------------------------------------------------------------- indicators

const METRIC_FIELDS = ['population', 'urbanShare', 'fiscalSpending', 'fiscalRevenue', 'tertiaryShare', 'educationShare', 'loans', 'gdp', 'dfu', 'rid', 'pc'];

/** Built-in indicators: id, option group, label, how to read it from a city's year record, counts or not. */
const BUILTIN = [
  { id: 'RTA', group: 'Agglomeration', label: 'RTA · synergistic agglomeration', get: (r) => r.rta, lisaName: 'RTA' },
  { id: 'NQP', group: 'Agglomeration', label: 'NQP · new quality productivity', get: (r) => r.nqp, lisaName: 'NQP' },
  { id: 'firms', group: 'Innovative firms', label: 'All innovative firms', integer: true, get: (r) => (r.q1 == null ? null : r.q1 + r.q2 + r.q3) },
  { id: 'q1', group: 'Innovative firms', label: 'Fledgling firms 雏鹰', integer: true, get: (r) => r.q1 },
  { id: 'q2', group: 'Innovative firms', label: 'Gazelle firms 瞪羚', integer: true, get: (r) => r.q2 },
  { id: 'q3', group: 'Innovative firms', label: 'Unicorn firms 独角兽', integer: true, get: (r) => r.q3 },
  ...[
    ['gdp', 'GDP'], ['population', 'Population (10k persons)'], ['urbanShare', 'Urban population share'],
    ['fiscalSpending', 'Fiscal spending'], ['fiscalRevenue', 'Fiscal revenue'], ['tertiaryShare', 'Tertiary industry share'],
    ['educationShare', 'Education spending share'], ['loans', 'Loans'], ['dfu', 'DFU · data-factor use'],
    ['rid', 'RID · robot density'], ['pc', 'PC · patents'],
  ].map(([id, label]) => ({ id, group: 'City-year metrics', label, get: (r) => r.metrics?.[id] ?? null, lisaName: id })),
];

// ---------------------------------------------------------------- state

const params = new URLSearchParams(location.search);
const state = {
  cities: [], // { code, name, province, region, lon, lat, neighbours: string[] }
  byCode: new Map(),
  years: [],
  year: null,
  metric: params.get('metric') ?? 'RTA',
  view: params.get('view') === 'lisa' ? 'lisa' : 'values',
  weights: { type: ['QUEEN', 'ROOK', 'KNN'].includes(params.get('weights')) ? params.get('weights') : 'QUEEN', k: Number(params.get('k') ?? 4) },
  selected: params.get('city'),
  metrics: [...BUILTIN],
  spatialVariables: new Set(),
  dataset: null,
  // caches: year → Map(code → record); `${variable}|${year}` → Map(code → value); lisa key → result
  base: new Map(),
  imported: new Map(),
  lisa: new Map(),
  lastPaint: null,
};

const metricById = (id) => state.metrics.find((m) => m.id === id);
const currentMetric = () => metricById(state.metric) ?? state.metrics[0];
const lisaKey = (m = currentMetric()) => `${m.lisaName}|${state.year}|${state.weights.type}|${state.weights.type === 'KNN' ? state.weights.k : ''}`;
const lisaAvailable = (m = currentMetric()) => !!m.lisaName && state.spatialVariables.has(m.lisaName);

// ---------------------------------------------------------------- errors and busy state

/** Shows an error box; `transient` ones (from loading data) go away when the next load succeeds. */
function showErrors(title, messages, transient = false) {
  const box = document.createElement('div');
  box.className = transient ? 'error transient' : 'error';
  const head = document.createElement('div');
  head.className = 'error-head';
  head.textContent = title;
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'close';
  close.setAttribute('aria-label', 'Dismiss');
  close.textContent = '×';
  close.onclick = () => box.remove();
  head.append(close);
  const list = document.createElement('ul');
  for (const m of messages) {
    const li = document.createElement('li');
    li.textContent = m;
    list.append(li);
  }
  box.append(head, list);
  $('errors').append(box);
}

function clearTransientErrors() { for (const e of $('errors').querySelectorAll('.error.transient')) e.remove(); }

let busyCount = 0;
function busy(on, text = 'Loading…') {
  busyCount += on ? 1 : -1;
  $('busy-text').textContent = text;
  $('busy').hidden = busyCount <= 0;
}

// ---------------------------------------------------------------- GraphQL

// Units come in pages of 1000 (the API's largest page), in code order, each page after the last one's cursor.
const PAGE = 1000;
const OUTLINES = `query Outlines($after: String) {
  dataset { synthetic description firms title unitLabel attribution searchHint extent }
  spatialVariables
  cities(first: ${PAGE}, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      code name province region lon lat
      boundary(simplify: 0.01)
      neighbours(type: QUEEN) { city { code } }
      metrics { year }
    }
  }
}`;

// RTA, NQP and the firm counts only where there are firms (a store of imported units may have none)
const AGGLOMERATION_FIELDS = `
  agglomeration(year: $year) { cityCode q1 q2 q3 }`;
const baseFields = (withFirms) => `
  base: cities(first: ${PAGE}, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { code ${withFirms ? 'rta(year: $year) nqp(year: $year)' : ''} metrics(years: [$year]) { ${METRIC_FIELDS.join(' ')} } }
  }`;

/** Runs `query` (which takes $after) page by page while `pages(data)` says a connection has more; calls `each` per page. */
async function paged(query, variables, signal, each) {
  let after = null;
  const errors = [];
  for (;;) {
    const r = await gql(query(after === null), { ...variables, after }, { signal });
    errors.push(...r.errors);
    const next = each(r.data);
    if (!next) return errors;
    after = next;
  }
}

const LISA_FIELDS = `
  lisa: spatialAutocorrelation(variable: $lisaVariable, year: $year, weights: $weights) {
    variable year islands missing
    weights { type k n links meanNeighbours }
    moran { I pValue }
    local { city { code } quadrant pValue }
  }`;

/** Named variables: imported ones, the NQP indicators and composites (the built-in NQP has its own entry above); when
 *  the server does not know them, the list just stays empty. */
async function loadImportedVariables() {
  try {
    const { data } = await gql('{ cityVariables { name count kind } }');
    return data.cityVariables ?? [];
  } catch (e) {
    console.info('imported variables unavailable:', e.message);
    return [];
  }
}

let inflight = null;

/** Fetches whatever the current year / indicator / view still lacks, in one request. */
async function ensureData() {
  const m = currentMetric();
  const year = state.year;
  const needBase = !state.base.has(year);
  const needVar = m.imported && !state.imported.has(`${m.variable}|${year}`);
  const needLisa = state.view === 'lisa' && lisaAvailable(m) && !state.lisa.has(lisaKey(m));
  if (!needBase && !needVar && !needLisa) return;
  const defs = ['$year: Int!', '$after: String'];
  const variables = { year };
  const withFirms = state.dataset?.firms > 0;
  let fields = '', once = '';
  if (needBase) { fields += baseFields(withFirms); if (withFirms) once += AGGLOMERATION_FIELDS; }
  if (needVar) {
    defs.push('$variable: String!');
    variables.variable = m.variable;
    fields += `\n  imported: cities(first: ${PAGE}, after: $after) { pageInfo { hasNextPage endCursor } nodes { code metrics(years: [$year]) { value(name: $variable) } } }`;
  }
  if (needLisa) {
    defs.push('$lisaVariable: String!', '$weights: WeightsInput!');
    variables.lisaVariable = m.lisaName;
    variables.weights = state.weights.type === 'KNN' ? { type: 'KNN', k: state.weights.k, style: 'W' } : { type: state.weights.type, style: 'W' };
    once += LISA_FIELDS;
  }
  inflight?.abort();
  const ctl = new AbortController();
  inflight = ctl;
  busy(true, `Loading ${year}…`);
  try {
    // the first page carries the once-only fields (agglomeration, LISA); later pages only the units' values
    if (!fields) defs.splice(defs.indexOf('$after: String'), 1);
    const query = (first) => `query MapYear(${defs.join(', ')}) {${fields}${first ? once : ''}\n}`;
    let agglomeration = [], lisa = null;
    const baseNodes = [], importedNodes = [];
    const errors = await paged(query, variables, ctl.signal, (data) => {
      if (data.agglomeration) agglomeration = data.agglomeration;
      if (data.lisa) lisa = data.lisa;
      if (data.base) baseNodes.push(...data.base.nodes);
      if (data.imported) importedNodes.push(...data.imported.nodes);
      const info = (data.base ?? data.imported)?.pageInfo;
      return info?.hasNextPage ? info.endCursor : null;
    });
    if (needBase) {
      const q = new Map(agglomeration.map((a) => [a.cityCode, a]));
      const recs = new Map();
      for (const c of baseNodes) {
        const a = q.get(c.code);
        recs.set(c.code, { rta: c.rta ?? null, nqp: c.nqp ?? null, metrics: c.metrics[0] ?? null, q1: a?.q1 ?? null, q2: a?.q2 ?? null, q3: a?.q3 ?? null });
      }
      state.base.set(year, recs);
    }
    if (needVar) {
      state.imported.set(`${m.variable}|${year}`, new Map(importedNodes.map((c) => [c.code, c.metrics[0]?.value ?? null])));
    }
    if (lisa) state.lisa.set(lisaKey(m), lisa);
    if (errors.length) showErrors('The server reported errors (partial data shown)', errors, true);
  } finally {
    busy(false);
    if (inflight === ctl) inflight = null;
  }
}

// ---------------------------------------------------------------- values

function recordOf(code, year = state.year) {
  return state.base.get(year)?.get(code) ?? null;
}

function valueOf(m, code, year = state.year) {
  if (m.imported) return state.imported.get(`${m.variable}|${year}`)?.get(code) ?? null;
  const r = recordOf(code, year);
  const v = r ? m.get(r) : null;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

// ---------------------------------------------------------------- map

const map = new maplibregl.Map({
  container: 'map',
  style: {
    version: 8,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#e6ebef' } }],
  },
  // the initial view and the attribution come from the store (dataset.extent / .attribution) once it has answered
  center: [0, 20],
  zoom: 1,
  attributionControl: false,
  dragRotate: false,
  pitchWithRotate: false,
  touchPitch: false,
  maxPitch: 0,
  renderWorldCopies: false,
});
map.touchZoomRotate.disableRotation();
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
window.__map = map;
const FIT_PADDING = { top: 10, bottom: 10, left: 310, right: 10 };

const mapLoaded = new Promise((resolve) => map.once('load', resolve));
const idle = () => new Promise((resolve) => { map.once('idle', resolve); map.triggerRepaint(); });

function addCityLayers(features) {
  map.addSource('cities', { type: 'geojson', data: { type: 'FeatureCollection', features }, promoteId: 'code' });
  map.addLayer({
    id: 'city-fill', type: 'fill', source: 'cities',
    paint: { 'fill-color': ['to-color', ['coalesce', ['feature-state', 'color'], MISSING]] },
  });
  map.addLayer({
    id: 'city-line', type: 'line', source: 'cities',
    paint: { 'line-color': '#ffffff', 'line-opacity': 0.85, 'line-width': ['interpolate', ['linear'], ['zoom'], 3, 0.35, 6, 0.8, 9, 1.5] },
  });
  map.addLayer({
    id: 'hover-line', type: 'line', source: 'cities', filter: ['==', ['get', 'code'], ''],
    paint: { 'line-color': '#3b4450', 'line-width': 1.4 },
  });
  map.addLayer({
    id: 'neighbour-line', type: 'line', source: 'cities', filter: ['in', ['get', 'code'], ['literal', []]],
    paint: { 'line-color': NEIGHBOUR_COLOUR, 'line-width': 2.2 },
  });
  map.addLayer({
    id: 'selected-line', type: 'line', source: 'cities', filter: ['==', ['get', 'code'], ''],
    paint: { 'line-color': SELECTED_COLOUR, 'line-width': 3 },
  });
}

/** Colours every city for the current year, indicator and view; returns what the legend shows. */
function paint() {
  const m = currentMetric();
  const colours = new Map();
  let legend;
  if (state.view === 'lisa' && lisaAvailable(m)) {
    const res = state.lisa.get(lisaKey(m));
    const local = new Map((res?.local ?? []).map((l) => [l.city.code, l]));
    const counts = { HH: 0, LL: 0, HL: 0, LH: 0, NS: 0, OUT: 0 };
    for (const c of state.cities) {
      const l = local.get(c.code);
      const k = !l ? 'OUT' : l.pValue < 0.05 ? l.quadrant : 'NS';
      counts[k]++;
      colours.set(c.code, LISA[k].color);
    }
    legend = { kind: 'lisa', metric: m, result: res, counts };
  } else {
    const values = state.cities.map((c) => valueOf(m, c.code));
    const classing = quantileBreaks(values, 5, !!m.integer);
    const classes = legendClasses(classing, !!m.integer).map((k) => ({ ...k, count: 0 }));
    let missing = 0;
    state.cities.forEach((c, i) => {
      const k = classOf(values[i], classing.breaks);
      if (k < 0) { missing++; colours.set(c.code, MISSING); } else { classes[k].count++; colours.set(c.code, classes[k].color); }
    });
    legend = { kind: 'values', metric: m, classing, classes, missing, values };
  }
  for (const [code, color] of colours) map.setFeatureState({ source: 'cities', id: code }, { color });
  state.lastPaint = { ...legend, colours };
  renderLegend(legend);
  return legend;
}

function renderLegend(l) {
  const el = $('legend');
  const title = document.createElement('div');
  title.className = 'legend-title';
  title.textContent = l.metric.label.replace(/ [^\x00-\x7F]+$/, '');
  const sub = document.createElement('div');
  sub.className = 'legend-sub';
  const rows = document.createElement('ul');
  rows.className = 'legend-rows';
  const row = (color, label, count, attrs = {}) => {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = color;
    const t = document.createElement('span');
    t.className = 'legend-label';
    t.textContent = label;
    const n = document.createElement('span');
    n.className = 'legend-count';
    n.textContent = String(count);
    li.append(sw, t, n);
    li.dataset.color = color;
    li.dataset.count = String(count);
    for (const [k, v] of Object.entries(attrs)) li.dataset[k] = String(v);
    rows.append(li);
  };
  if (l.kind === 'lisa') {
    const w = l.result?.weights;
    sub.textContent = `Local Moran, ${state.year} · ${w ? weightsLabel(w) : ''} · p < 0.05`;
    for (const k of ['HH', 'LL', 'HL', 'LH', 'NS', 'OUT']) row(LISA[k].color, k === 'NS' ? 'Not significant (p ≥ 0.05)' : LISA[k].label, l.counts[k], { cluster: k });
    const foot = document.createElement('div');
    foot.className = 'legend-foot';
    if (l.result) foot.textContent = `Moran's I = ${fmt(l.result.moran.I)} (p ${fmtP(l.result.moran.pValue)}), n = ${l.result.weights.n}`;
    el.replaceChildren(title, sub, rows, foot);
  } else {
    sub.textContent = `${state.year} · quantiles (${l.classes.length} classes)`;
    l.classes.forEach((k, i) => row(k.color, k.label, k.count, { class: i, lo: k.lo, hi: k.hi }));
    row(MISSING, 'No data', l.missing, { class: 'missing' });
    el.replaceChildren(title, sub, rows);
  }
  el.dataset.kind = l.kind;
}

const fmtP = (p) => (p < 0.001 ? '< 0.001' : `= ${fmt(p)}`);
const weightsLabel = (w) => (w.type === 'KNN' ? `${w.k} nearest neighbours` : `${w.type === 'QUEEN' ? 'queen' : 'rook'} contiguity`);

// ---------------------------------------------------------------- selection and panel

function select(code, { fly = false } = {}) {
  const c = code ? state.byCode.get(code) : null;
  state.selected = c ? c.code : null;
  map.setFilter('selected-line', ['==', ['get', 'code'], c ? c.code : '']);
  map.setFilter('neighbour-line', ['in', ['get', 'code'], ['literal', c ? c.neighbours : []]]);
  if (c && fly) map.fitBounds(c.bbox, { padding: 120, maxZoom: 7, duration: 600 });
  renderPanel();
  syncUrl();
}

function renderPanel() {
  const c = state.selected ? state.byCode.get(state.selected) : null;
  $('panel-empty').hidden = !!c;
  $('panel-city').hidden = !c;
  const m = currentMetric();
  if (!c) {
    renderSummary({ state, metric: m, paint: state.lastPaint });
    return;
  }
  const lisa = state.view === 'lisa' && lisaAvailable(m) ? state.lisa.get(lisaKey(m)) : null;
  renderCity({
    city: c, year: state.year, record: recordOf(c.code), metric: m,
    importedValue: m.imported ? valueOf(m, c.code) : undefined,
    lisa: lisa ? { result: lisa, local: lisa.local.find((l) => l.city.code === c.code) ?? null } : null,
    byCode: state.byCode, onSelect: (code) => select(code, { fly: true }),
  });
}

// ---------------------------------------------------------------- controls

function fillMetricSelect() {
  const sel = $('metric');
  const groups = new Map();
  for (const m of state.metrics) {
    if (!groups.has(m.group)) {
      const g = document.createElement('optgroup');
      g.label = m.group;
      groups.set(m.group, g);
      sel.append(g);
    }
    const o = document.createElement('option');
    o.value = m.id;
    o.textContent = m.label;
    groups.get(m.group).append(o);
  }
  if (!metricById(state.metric)) state.metric = state.metrics[0].id;
  sel.value = state.metric;
}

function syncControls() {
  const m = currentMetric();
  $('metric').value = m.id;
  const canLisa = lisaAvailable(m);
  $('view-lisa').disabled = !canLisa;
  $('view-lisa').title = canLisa ? 'Local Moran clusters of this indicator' : 'LISA clusters are computed for RTA, NQP and the stored city-year metrics';
  const lisa = state.view === 'lisa' && canLisa;
  $('view-values').setAttribute('aria-pressed', String(!lisa));
  $('view-lisa').setAttribute('aria-pressed', String(lisa));
  $('lisa-options').hidden = !lisa;
  $('weights').value = state.weights.type;
  $('k-field').hidden = state.weights.type !== 'KNN';
  $('knn-k').value = String(state.weights.k);
  $('year-label').textContent = String(state.year);
  root.dataset.metric = m.id;
  root.dataset.view = lisa ? 'lisa' : 'values';
  root.dataset.year = String(state.year);
}

function syncUrl() {
  const p = new URLSearchParams();
  p.set('metric', state.metric);
  p.set('year', String(state.year));
  if (state.view === 'lisa') {
    p.set('view', 'lisa');
    if (state.weights.type !== 'QUEEN') p.set('weights', state.weights.type);
    if (state.weights.type === 'KNN') p.set('k', String(state.weights.k));
  }
  if (state.selected) p.set('city', state.selected);
  history.replaceState(null, '', `${location.pathname}?${p}`);
}

let updateSeq = 0;

/** Applies the current controls: fetch what is missing, repaint, wait until the map has drawn, then say "ready". */
async function update() {
  const seq = ++updateSeq;
  root.dataset.state = 'loading';
  syncControls();
  syncUrl();
  try {
    await ensureData();
    if (seq !== updateSeq) return;
    clearTransientErrors();
    paint();
    renderPanel();
    await idle();
    if (seq === updateSeq) root.dataset.state = 'ready';
  } catch (e) {
    if (e.name === 'AbortError' || seq !== updateSeq) return;
    showErrors(`Could not load ${currentMetric().label} for ${state.year}`, e instanceof ApiError ? e.messages : [String(e.message ?? e)], true);
    root.dataset.state = 'error';
  }
}

function wireControls() {
  const yearInput = $('year');
  let timer = null;
  yearInput.addEventListener('input', () => {
    state.year = state.years[Number(yearInput.value)];
    $('year-label').textContent = String(state.year);
    clearTimeout(timer);
    timer = setTimeout(update, 120); // a drag across the slider asks only for the year it stops on
  });
  $('metric').addEventListener('change', (e) => { state.metric = e.target.value; update(); });
  for (const b of [$('view-values'), $('view-lisa')]) b.addEventListener('click', () => { state.view = b.dataset.view; update(); });
  $('weights').addEventListener('change', (e) => { state.weights.type = e.target.value; update(); });
  $('knn-k').addEventListener('change', (e) => { state.weights.k = Number(e.target.value); update(); });
  $('panel-close').addEventListener('click', () => select(null));
  $('city-search').addEventListener('change', (e) => {
    const q = e.target.value.trim();
    const c = state.cities.find((x) => x.name === q || x.code === q) ?? state.cities.find((x) => q && x.name.includes(q));
    if (c) { select(c.code, { fly: true }); e.target.value = ''; e.target.blur(); }
  });

  map.on('click', 'city-fill', (e) => select(e.features[0].properties.code));
  map.on('click', (e) => { if (!map.queryRenderedFeatures(e.point, { layers: ['city-fill'] }).length) select(null); });
  const tip = $('tooltip');
  map.on('mousemove', 'city-fill', (e) => {
    const code = e.features[0].properties.code;
    map.setFilter('hover-line', ['==', ['get', 'code'], code]);
    map.getCanvas().style.cursor = 'pointer';
    const c = state.byCode.get(code);
    const m = currentMetric();
    let detail;
    if (state.view === 'lisa' && lisaAvailable(m)) {
      const l = state.lisa.get(lisaKey(m))?.local.find((x) => x.city.code === code);
      detail = !l ? LISA.OUT.label : l.pValue < 0.05 ? LISA[l.quadrant].label : 'Not significant';
    } else detail = fmt(valueOf(m, code), !!m.integer);
    tip.replaceChildren();
    const name = document.createElement('strong');
    name.lang = 'zh-CN';
    name.textContent = c.name;
    const val = document.createElement('span');
    val.textContent = detail;
    tip.append(name, val);
    tip.style.transform = `translate(${e.point.x + 14}px, ${e.point.y + 14}px)`;
    tip.hidden = false;
  });
  map.on('mouseleave', 'city-fill', () => {
    map.setFilter('hover-line', ['==', ['get', 'code'], '']);
    map.getCanvas().style.cursor = '';
    tip.hidden = true;
  });
}

// ---------------------------------------------------------------- start

/** The store's wording, attribution and initial view (its units' extent). */
function applyDataset(d) {
  const unit = d.unitLabel === 'city' ? 'city' : d.unitLabel;
  document.title = `Agglomera · ${d.title}`;
  $('units-title').textContent = d.title;
  $('city-search').placeholder = d.searchHint;
  $('city-search').setAttribute('aria-label', `Find a ${unit}`);
  $('map').setAttribute('aria-label', `Map of ${d.title}`);
  $('unit-hint').textContent = `Click a ${unit} to see its figures, its firms and its queen-contiguity neighbours.`;
  map.addControl(new maplibregl.AttributionControl({ compact: true, customAttribution: d.attribution }));
  // an extent past the antimeridian (maxLon > 180) shows the units west of it in the next world copy
  if (d.extent?.[2] > 180) map.setRenderWorldCopies(true);
  if (d.extent) map.fitBounds([[d.extent[0], d.extent[1]], [d.extent[2], d.extent[3]]], { padding: FIT_PADDING, animate: false });
}

function bboxOf(geometry) {
  let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
  for (const poly of geometry.coordinates) for (const [x, y] of poly[0]) {
    if (x < x1) x1 = x; if (x > x2) x2 = x; if (y < y1) y1 = y; if (y > y2) y2 = y;
  }
  return [[x1, y1], [x2, y2]];
}

async function start() {
  busy(true, 'Loading city outlines…');
  let outlines, imported;
  try {
    const nodes = [];
    let first = null;
    const pageErrors = await paged(() => OUTLINES, {}, undefined, (data) => {
      first ??= data;
      nodes.push(...data.cities.nodes);
      return data.cities.pageInfo.hasNextPage ? data.cities.pageInfo.endCursor : null;
    });
    outlines = { data: { ...first, cities: { ...first.cities, nodes } }, errors: pageErrors };
    [imported] = await Promise.all([loadImportedVariables(), mapLoaded]);
  } catch (e) {
    busy(false);
    showErrors('Could not load the city outlines', e instanceof ApiError ? e.messages : [String(e.message ?? e)]);
    $('summary').textContent = 'The map could not be loaded.';
    root.dataset.state = 'error';
    return;
  }
  busy(false);
  if (outlines.errors.length) showErrors('The server reported errors', outlines.errors);
  const { dataset, spatialVariables, cities } = outlines.data;
  state.dataset = dataset;
  state.spatialVariables = new Set(spatialVariables);
  applyDataset(dataset);
  const years = new Set();
  const features = [];
  for (const n of cities.nodes) {
    const c = {
      code: n.code, name: n.name, province: n.province, region: n.region, lon: n.lon, lat: n.lat,
      neighbours: n.neighbours.map((x) => x.city.code), bbox: bboxOf(n.boundary),
    };
    for (const m of n.metrics) years.add(m.year);
    state.cities.push(c);
    state.byCode.set(c.code, c);
    features.push({ type: 'Feature', properties: { code: c.code, name: c.name }, geometry: n.boundary });
  }
  state.years = [...years].sort((a, b) => a - b);
  for (const v of imported) {
    if (state.metrics.some((m) => m.id === v.name)) continue; // NQP: already a built-in entry
    state.metrics.push({
      id: `var:${v.name}`, group: v.kind === 'composite' ? 'Composites' : 'Imported variables', label: `${v.name} (${v.count} values)`, imported: true, variable: v.name,
      lisaName: v.name, get: () => null,
    });
  }
  // without firms, RTA / NQP / firm counts have nothing to show: the first imported variable is the default
  if (!(dataset.firms > 0)) {
    state.metrics = state.metrics.filter((m) => !['RTA', 'NQP', 'firms', 'q1', 'q2', 'q3'].includes(m.id));
    if (!params.get('metric')) state.metric = (state.metrics.find((m) => m.imported) ?? state.metrics[0]).id;
  }
  if (dataset.synthetic) {
    $('dataset-note').textContent = 'Synthetic demo data';
    $('dataset-note').title = dataset.description;
    $('dataset-note').hidden = false;
  }
  $('panel-foot').textContent = dataset.description;
  const names = $('city-names');
  for (const c of [...state.cities].sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'))) {
    const o = document.createElement('option');
    o.value = c.name;
    o.label = c.province ? `${c.province} · ${c.code}` : c.code;
    names.append(o);
  }
  fillMetricSelect();

  if (!state.years.length) {
    showErrors('No city-year data', ['The store has cities but no city-year metrics: there is nothing to colour.']);
    root.dataset.state = 'error';
    return;
  }
  const wanted = Number(params.get('year'));
  state.year = state.years.includes(wanted) ? wanted : state.years[state.years.length - 1];
  if (params.get('year') && !state.years.includes(wanted)) {
    showErrors('Year not in the data', [`There are no city-year figures for ${params.get('year')}; showing ${state.year} (data: ${state.years[0]}–${state.years[state.years.length - 1]}).`]);
  }
  const yearInput = $('year');
  yearInput.max = String(state.years.length - 1);
  yearInput.value = String(state.years.indexOf(state.year));
  yearInput.disabled = false;
  $('year-min').textContent = String(state.years[0]);
  $('year-max').textContent = String(state.years[state.years.length - 1]);

  addCityLayers(features);
  wireControls();
  if (state.selected && !state.byCode.has(state.selected)) state.selected = null;
  if (state.selected) select(state.selected);
  await update();
  // an import (or a composite) moved the data version: drop the cached values and redraw what is shown
  watchDataChanges(({ version }) => {
    state.base.clear(); state.imported.clear(); state.lisa.clear();
    root.dataset.dataVersion = String(version);
    update();
  });
}

start();
