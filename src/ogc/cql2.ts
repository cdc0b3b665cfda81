// A recursive-descent parser for the subset of CQL2 text (OGC 21-065) this server evaluates: Basic CQL2 (comparisons,
// AND / OR / NOT, IS [NOT] NULL, booleans), the advanced comparison operators (LIKE, BETWEEN, IN), comparisons between
// properties, DATE('…') literals and the spatial functions S_INTERSECTS / S_DISJOINT / S_WITHIN / S_CONTAINS on BBOX,
// POINT, LINESTRING and POLYGON literals. No npm package parses CQL2 text (the maintained ones do ECQL or CQL2-JSON
// only), hence this one. The result is a syntax tree; src/ogc/filter.ts compiles it to parameterised SQL.

export type Scalar =
  | { k: 'prop'; name: string }
  | { k: 'str'; v: string }
  | { k: 'num'; v: number }
  | { k: 'bool'; v: boolean }
  | { k: 'date'; v: string };

/** Geometry literal in CRS84: a box or a WKT shape rebuilt from validated numbers (never the user's text). */
export type GeomLit =
  | { k: 'bbox'; v: [number, number, number, number] }
  | { k: 'wkt'; type: 'POINT' | 'LINESTRING' | 'POLYGON'; coords: number[][][] };

export type CompOp = '=' | '<>' | '<' | '<=' | '>' | '>=';
export type SpatialOp = 'S_INTERSECTS' | 'S_DISJOINT' | 'S_WITHIN' | 'S_CONTAINS';

export type Expr =
  | { k: 'and' | 'or'; args: Expr[] }
  | { k: 'not'; arg: Expr }
  | { k: 'cmp'; op: CompOp; l: Scalar; r: Scalar }
  | { k: 'like'; l: Scalar; pattern: string; not: boolean; caseInsensitive: boolean }
  | { k: 'between'; l: Scalar; lo: Scalar; hi: Scalar; not: boolean }
  | { k: 'in'; l: Scalar; list: Scalar[]; not: boolean }
  | { k: 'isnull'; l: Scalar; not: boolean }
  | { k: 'literal'; v: boolean }
  | { k: 'spatial'; op: SpatialOp; prop: string; geom: GeomLit };

export class Cql2Error extends Error {
  constructor(message: string, readonly position: number) { super(`${message} (at character ${position + 1})`); }
}

type Tok = { t: 'id' | 'qid' | 'str' | 'num' | 'op' | 'punct' | 'end'; v: string; pos: number };

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'LIKE', 'ILIKE', 'BETWEEN', 'IN', 'IS', 'NULL', 'TRUE', 'FALSE']);
const SPATIAL = new Set<string>(['S_INTERSECTS', 'S_DISJOINT', 'S_WITHIN', 'S_CONTAINS']);

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) { i++; continue; }
    const pos = i;
    if (c === "'") {
      let v = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new Cql2Error('unterminated string literal', pos);
        if (src[i] === "'") {
          if (src[i + 1] === "'") { v += "'"; i += 2; continue; }
          i++;
          break;
        }
        v += src[i++];
      }
      out.push({ t: 'str', v, pos });
    } else if (c === '"') {
      const end = src.indexOf('"', i + 1);
      if (end < 0) throw new Cql2Error('unterminated quoted property name', pos);
      out.push({ t: 'qid', v: src.slice(i + 1, end), pos });
      i = end + 1;
    } else if (/[0-9.]/.test(c) || ((c === '-' || c === '+') && /[0-9.]/.test(src[i + 1] ?? '') && !isOperand(out[out.length - 1]))) {
      const m = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i));
      if (!m) throw new Cql2Error(`bad number`, pos);
      out.push({ t: 'num', v: m[0], pos });
      i += m[0].length;
    } else if (/[\p{L}_]/u.test(c)) {
      const m = /^[\p{L}_][\p{L}\p{N}_.:]*/u.exec(src.slice(i))!;
      out.push({ t: 'id', v: m[0], pos });
      i += m[0].length;
    } else if (c === '<' || c === '>' || c === '=' || c === '!') {
      const two = src.slice(i, i + 2);
      const op = ['<=', '>=', '<>', '!='].includes(two) ? two : c;
      if (op === '!') throw new Cql2Error('unexpected "!"', pos);
      out.push({ t: 'op', v: op === '!=' ? '<>' : op, pos });
      i += op.length;
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ t: 'punct', v: c, pos });
      i++;
    } else {
      throw new Cql2Error(`unexpected character "${c}"`, pos);
    }
  }
  out.push({ t: 'end', v: '', pos: src.length });
  return out;
}

/** A sign after an operand is a binary operator (unsupported arithmetic), not part of a number. */
const isOperand = (t: Tok | undefined) => !!t && (t.t === 'num' || t.t === 'str' || t.t === 'qid' || (t.t === 'punct' && t.v === ')') || (t.t === 'id' && !KEYWORDS.has(t.v.toUpperCase())));

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(o = 0) { return this.toks[Math.min(this.i + o, this.toks.length - 1)]; }
  private next() { return this.toks[this.i++]; }
  private isKw(kw: string, o = 0) { const t = this.peek(o); return t.t === 'id' && t.v.toUpperCase() === kw; }
  private acceptKw(kw: string) { if (this.isKw(kw)) { this.i++; return true; } return false; }
  private expectKw(kw: string) { if (!this.acceptKw(kw)) this.fail(`expected ${kw}`); }
  private isPunct(p: string) { const t = this.peek(); return t.t === 'punct' && t.v === p; }
  private expectPunct(p: string) { if (!this.isPunct(p)) this.fail(`expected "${p}"`); this.i++; }
  private fail(msg: string): never {
    const t = this.peek();
    throw new Cql2Error(`${msg}, found ${t.t === 'end' ? 'the end of the filter' : `"${t.v}"`}`, t.pos);
  }

  parse(): Expr {
    const e = this.or();
    if (this.peek().t !== 'end') this.fail('expected AND, OR or the end of the filter');
    return e;
  }

  private or(): Expr {
    const args = [this.and()];
    while (this.acceptKw('OR')) args.push(this.and());
    return args.length === 1 ? args[0] : { k: 'or', args };
  }

  private and(): Expr {
    const args = [this.factor()];
    while (this.acceptKw('AND')) args.push(this.factor());
    return args.length === 1 ? args[0] : { k: 'and', args };
  }

  private factor(): Expr {
    if (this.acceptKw('NOT')) return { k: 'not', arg: this.factor() };
    return this.primary();
  }

  private primary(): Expr {
    if (this.isPunct('(')) {
      // "(" starts a nested boolean expression; a parenthesised scalar is not part of this subset
      this.i++;
      const e = this.or();
      this.expectPunct(')');
      return e;
    }
    const t = this.peek();
    if (t.t === 'id' && SPATIAL.has(t.v.toUpperCase()) && this.peek(1).t === 'punct' && this.peek(1).v === '(') return this.spatial();
    if ((this.isKw('TRUE') || this.isKw('FALSE')) && this.endsPredicate(1)) return { k: 'literal', v: this.next().v.toUpperCase() === 'TRUE' };
    return this.predicate();
  }

  /** true when the token at offset o cannot continue a comparison (so TRUE / FALSE stand alone). */
  private endsPredicate(o: number) {
    const t = this.peek(o);
    return t.t === 'end' || (t.t === 'punct' && t.v === ')') || (t.t === 'id' && ['AND', 'OR'].includes(t.v.toUpperCase()));
  }

  private predicate(): Expr {
    const l = this.scalar();
    const t = this.peek();
    if (t.t === 'op') {
      this.i++;
      return { k: 'cmp', op: t.v as CompOp, l, r: this.scalar() };
    }
    if (this.acceptKw('IS')) {
      const not = this.acceptKw('NOT');
      this.expectKw('NULL');
      return { k: 'isnull', l, not };
    }
    const not = this.acceptKw('NOT');
    // ILIKE (case-insensitive) is not CQL2 (which has CASEI), but GDAL's cql-text sends it
    const like = this.acceptKw('LIKE') ? 'LIKE' : this.acceptKw('ILIKE') ? 'ILIKE' : null;
    if (like) {
      const p = this.next();
      if (p.t !== 'str') { this.i--; this.fail(`${like} expects a quoted pattern`); }
      return { k: 'like', l, pattern: p.v, not, caseInsensitive: like === 'ILIKE' };
    }
    if (this.acceptKw('BETWEEN')) {
      const lo = this.scalar();
      this.expectKw('AND');
      return { k: 'between', l, lo, hi: this.scalar(), not };
    }
    if (this.acceptKw('IN')) {
      this.expectPunct('(');
      const list = [this.scalar()];
      while (this.isPunct(',')) { this.i++; list.push(this.scalar()); }
      this.expectPunct(')');
      return { k: 'in', l, list, not };
    }
    return this.fail(not ? 'expected LIKE, ILIKE, BETWEEN or IN after NOT' : 'expected a comparison operator, IS, LIKE, BETWEEN or IN');
  }

  private scalar(): Scalar {
    const t = this.next();
    if (t.t === 'str') return { k: 'str', v: t.v };
    if (t.t === 'num') {
      const v = Number(t.v);
      if (!Number.isFinite(v)) { this.i--; this.fail('number out of range'); }
      return { k: 'num', v };
    }
    if (t.t === 'qid') return { k: 'prop', name: t.v };
    if (t.t === 'id') {
      const up = t.v.toUpperCase();
      if (up === 'TRUE' || up === 'FALSE') return { k: 'bool', v: up === 'TRUE' };
      if ((up === 'DATE' || up === 'TIMESTAMP') && this.isPunct('(')) {
        this.i++;
        const s = this.next();
        if (s.t !== 'str') { this.i--; this.fail(`${up} expects a quoted value`); }
        this.expectPunct(')');
        if (!/^\d{4}-\d{2}-\d{2}/.test(s.v) || Number.isNaN(Date.parse(s.v))) throw new Cql2Error(`${up}('${s.v}') is not a valid date`, s.pos);
        return { k: 'date', v: s.v.slice(0, 10) };
      }
      if (this.isPunct('(')) throw new Cql2Error(`function ${t.v}() is not supported`, t.pos);
      if (KEYWORDS.has(up)) { this.i--; this.fail('expected a property name or a literal'); }
      return { k: 'prop', name: t.v };
    }
    this.i--;
    return this.fail('expected a property name or a literal');
  }

  private spatial(): Expr {
    const op = this.next().v.toUpperCase() as SpatialOp;
    this.expectPunct('(');
    let prop: string | null = null;
    let geom: GeomLit | null = null;
    let geomFirst = false;
    for (let n = 0; n < 2; n++) {
      if (n) this.expectPunct(',');
      const t = this.peek();
      const isGeom = t.t === 'id' && ['BBOX', 'POINT', 'LINESTRING', 'POLYGON'].includes(t.v.toUpperCase()) && this.peek(1).t === 'punct' && this.peek(1).v === '(';
      if (isGeom) {
        if (geom) this.fail(`${op} compares the geometry property with one literal`);
        geomFirst = n === 0;
        geom = this.geometry();
      } else {
        if (prop !== null) this.fail(`${op} compares the geometry property with one literal`);
        const s = this.scalar();
        if (s.k !== 'prop') throw new Cql2Error(`${op} expects a geometry property and a geometry literal`, t.pos);
        prop = s.name;
      }
    }
    this.expectPunct(')');
    // S_WITHIN(literal, prop) is S_CONTAINS(prop, literal) and vice versa
    const flip: Record<SpatialOp, SpatialOp> = { S_INTERSECTS: 'S_INTERSECTS', S_DISJOINT: 'S_DISJOINT', S_WITHIN: 'S_CONTAINS', S_CONTAINS: 'S_WITHIN' };
    return { k: 'spatial', op: geomFirst ? flip[op] : op, prop: prop!, geom: geom! };
  }

  private num(): number {
    const t = this.next();
    if (t.t !== 'num') { this.i--; this.fail('expected a number'); }
    return Number(t.v);
  }

  private coordList(): number[][] {
    // "x y, x y, ..." inside parentheses
    this.expectPunct('(');
    const pts: number[][] = [];
    do {
      if (pts.length) this.i++;
      const x = this.num();
      const y = this.num();
      if (x < -180 || x > 180 || y < -90 || y > 90) this.fail('coordinates must be longitude latitude in CRS84');
      pts.push([x, y]);
    } while (this.isPunct(','));
    this.expectPunct(')');
    return pts;
  }

  private geometry(): GeomLit {
    const kw = this.next();
    const type = kw.v.toUpperCase();
    if (type === 'BBOX') {
      this.expectPunct('(');
      const v: number[] = [this.num()];
      while (this.isPunct(',')) { this.i++; v.push(this.num()); }
      this.expectPunct(')');
      if (v.length !== 4) throw new Cql2Error('BBOX takes 4 numbers (minLon, minLat, maxLon, maxLat)', kw.pos);
      if (v[0] > v[2] || v[1] > v[3]) throw new Cql2Error('BBOX: min must not exceed max', kw.pos);
      return { k: 'bbox', v: v as [number, number, number, number] };
    }
    if (type === 'POINT') {
      const pts = this.coordList();
      if (pts.length !== 1) throw new Cql2Error('POINT takes one coordinate pair', kw.pos);
      return { k: 'wkt', type: 'POINT', coords: [pts] };
    }
    if (type === 'LINESTRING') {
      const pts = this.coordList();
      if (pts.length < 2) throw new Cql2Error('LINESTRING takes at least 2 points', kw.pos);
      return { k: 'wkt', type: 'LINESTRING', coords: [pts] };
    }
    this.expectPunct('(');
    const rings: number[][][] = [];
    do {
      if (rings.length) this.i++;
      const r = this.coordList();
      if (r.length < 4 || r[0][0] !== r[r.length - 1][0] || r[0][1] !== r[r.length - 1][1]) throw new Cql2Error('POLYGON rings must be closed with at least 4 points', kw.pos);
      rings.push(r);
    } while (this.isPunct(','));
    this.expectPunct(')');
    return { k: 'wkt', type: 'POLYGON', coords: rings };
  }
}

/** Parses a CQL2 text filter; throws Cql2Error (with the character position) on anything outside the subset. */
export function parseCql2(text: string): Expr {
  if (!text.trim()) throw new Cql2Error('the filter is empty', 0);
  if (text.length > 10_000) throw new Cql2Error('the filter is longer than 10000 characters', 10_000);
  return new Parser(tokenize(text)).parse();
}

/** WKT text of a literal, built from numbers only. */
export function geomWkt(g: GeomLit): string {
  if (g.k === 'bbox') {
    const [x1, y1, x2, y2] = g.v;
    return `POLYGON((${x1} ${y1},${x2} ${y1},${x2} ${y2},${x1} ${y2},${x1} ${y1}))`;
  }
  const ring = (r: number[][]) => `(${r.map(([x, y]) => `${x} ${y}`).join(',')})`;
  if (g.type === 'POINT') return `POINT(${g.coords[0][0][0]} ${g.coords[0][0][1]})`;
  if (g.type === 'LINESTRING') return `LINESTRING${ring(g.coords[0])}`;
  return `POLYGON(${g.coords.map(ring).join(',')})`;
}
