// Formula language (fixest / plm subset): tokenizer, expression parser, canonical term names, lag-range expansion.
//   y ~ x1 + log(x2) + lag(x, 1:2) + diff(x) + a:b - 1 | fe1 + fe2
// Term names are the canonical print of the parsed expression: no whitespace except one space after commas,
// so `lag(log(sales),1)` and `lag( log(sales) , 1 )` are the same term `lag(log(sales), 1)`.
import { EstimationInputError } from './result.js';

export type Expr =
  | { kind: 'var'; name: string }
  | { kind: 'num'; value: number }
  | { kind: 'str'; value: string }
  | { kind: 'call'; fn: string; args: Expr[] }
  | { kind: 'range'; from: number; to: number }
  | { kind: 'unary'; op: '-' | '!'; arg: Expr }
  | { kind: 'binary'; op: string; left: Expr; right: Expr };

export interface Term {
  /** canonical name, e.g. `lag(log(sales), 1)` or `a:b` */
  name: string;
  /** the factors multiplied together (one for a plain term, several for an interaction a:b) */
  factors: Expr[];
}

export interface ParsedFormula {
  lhs: Expr;
  lhsName: string;
  /** right-hand-side terms in formula order, lag ranges expanded, duplicates removed */
  terms: Term[];
  intercept: boolean;
  /** parts after `|`, each a list of expressions separated by `+` (unexpanded: fixed effects or GMM instruments) */
  parts: Expr[][];
}

type Tok = { t: 'id' | 'num' | 'str' | 'op'; v: string; pos: number };

const OPS = ['&&', '||', '>=', '<=', '==', '!=', '~', '|', '+', '-', '*', '/', '^', ':', '(', ')', ',', '<', '>', '&', '!'];

export function tokenize(src: string, what = 'formula'): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) { i++; continue; }
    if (/[A-Za-z_.]/.test(c) && !/^\.\d/.test(src.slice(i, i + 2))) {
      const m = /^[A-Za-z_.][A-Za-z0-9_.]*/.exec(src.slice(i))!;
      out.push({ t: 'id', v: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw new EstimationInputError(`${what}: unterminated \` at position ${i + 1} in "${src}"`, what);
      out.push({ t: 'id', v: src.slice(i + 1, j), pos: i });
      i = j + 1;
      continue;
    }
    if (/[0-9.]/.test(c)) {
      const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i))!;
      out.push({ t: 'num', v: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      const j = src.indexOf(c, i + 1);
      if (j < 0) throw new EstimationInputError(`${what}: unterminated string at position ${i + 1} in "${src}"`, what);
      out.push({ t: 'str', v: src.slice(i + 1, j), pos: i });
      i = j + 1;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new EstimationInputError(`${what}: unexpected character '${c}' at position ${i + 1} in "${src}"`, what);
    out.push({ t: 'op', v: op, pos: i });
    i += op.length;
  }
  return out;
}

/** Recursive-descent expression parser over a token slice. `ranges` allows `a:b` between integers (lag ranges). */
class Parser {
  i = 0;
  constructor(private toks: Tok[], private src: string, private what: string) {}

  fail(msg: string): never {
    const tok = this.toks[this.i];
    const where = tok ? ` at position ${tok.pos + 1}` : ' at end';
    throw new EstimationInputError(`${this.what}: ${msg}${where} in "${this.src}"`, this.what);
  }
  peek(v?: string) {
    const t = this.toks[this.i];
    return t && (v === undefined || (t.t === 'op' && t.v === v)) ? t : undefined;
  }
  eat(v: string) {
    if (!this.peek(v)) this.fail(`expected '${v}'`);
    this.i++;
  }
  done() {
    return this.i >= this.toks.length;
  }

  parseExpr(): Expr { return this.parseOr(); }
  private bin(next: () => Expr, ops: string[], as?: (o: string) => string): Expr {
    let left = next();
    for (;;) {
      const t = this.peek();
      if (!t || t.t !== 'op' || !ops.includes(t.v)) return left;
      this.i++;
      const right = next();
      left = { kind: 'binary', op: as ? as(t.v) : t.v, left, right };
    }
  }
  parseOr = (): Expr => this.bin(this.parseAnd, ['||', '|'], () => '|');
  parseAnd = (): Expr => this.bin(this.parseCmp, ['&&', '&'], () => '&');
  parseCmp = (): Expr => this.bin(this.parseAdd, ['==', '!=', '>=', '<=', '<', '>']);
  parseAdd = (): Expr => this.bin(this.parseMul, ['+', '-']);
  parseMul = (): Expr => this.bin(this.parseRange, ['*', '/']);
  parseRange = (): Expr => {
    const left = this.parseUnary();
    if (this.peek(':')) {
      this.i++;
      const right = this.parseUnary();
      const a = intValue(left), b = intValue(right);
      if (a === undefined || b === undefined) this.fail(`':' inside an expression must join two integers (a lag range such as 1:2)`);
      return { kind: 'range', from: a, to: b };
    }
    return left;
  };
  parseUnary = (): Expr => {
    if (this.peek('-')) { this.i++; const a = this.parseUnary(); return a.kind === 'num' ? { kind: 'num', value: -a.value } : { kind: 'unary', op: '-', arg: a }; }
    if (this.peek('+')) { this.i++; return this.parseUnary(); }
    if (this.peek('!')) { this.i++; return { kind: 'unary', op: '!', arg: this.parseUnary() }; }
    return this.parsePow();
  };
  parsePow = (): Expr => {
    const base = this.parsePrimary();
    if (this.peek('^')) { this.i++; return { kind: 'binary', op: '^', left: base, right: this.parseUnary() }; }
    return base;
  };
  parsePrimary = (): Expr => {
    const t = this.toks[this.i];
    if (!t) this.fail('unexpected end of expression');
    if (t.t === 'num') { this.i++; return { kind: 'num', value: Number(t.v) }; }
    if (t.t === 'str') { this.i++; return { kind: 'str', value: t.v }; }
    if (t.t === 'id') {
      this.i++;
      if (this.peek('(')) {
        this.i++;
        const args: Expr[] = [];
        if (!this.peek(')')) {
          args.push(this.parseExpr());
          while (this.peek(',')) { this.i++; args.push(this.parseExpr()); }
        }
        this.eat(')');
        return { kind: 'call', fn: t.v, args };
      }
      return { kind: 'var', name: t.v };
    }
    if (t.v === '(') {
      this.i++;
      const e = this.parseExpr();
      this.eat(')');
      return e;
    }
    return this.fail(`unexpected '${t.v}'`);
  };
}

function intValue(e: Expr): number | undefined {
  return e.kind === 'num' && Number.isInteger(e.value) ? e.value : undefined;
}

/** Parses one expression (a column transform, or a `sample.where` condition). */
export function parseExpression(src: string, what = 'expression'): Expr {
  const toks = tokenize(src, what);
  if (!toks.length) throw new EstimationInputError(`${what}: empty expression`, what);
  const p = new Parser(toks, src, what);
  const e = p.parseExpr();
  if (!p.done()) p.fail('unexpected token');
  return e;
}

const PREC: Record<string, number> = { '|': 1, '&': 2, '==': 3, '!=': 3, '>=': 3, '<=': 3, '<': 3, '>': 3, '+': 4, '-': 4, '*': 5, '/': 5, '^': 7 };

/** Canonical text of an expression: no whitespace, one space after commas, minimal parentheses. */
export function exprName(e: Expr, parentPrec = 0, rightSide = false): string {
  switch (e.kind) {
    case 'var': return /^[A-Za-z_.][A-Za-z0-9_.]*$/.test(e.name) ? e.name : `\`${e.name}\``;
    case 'num': return String(e.value);
    case 'str': return JSON.stringify(e.value);
    case 'range': return `${e.from}:${e.to}`;
    case 'call': return `${e.fn}(${e.args.map((a) => exprName(a)).join(', ')})`;
    case 'unary': {
      const s = `${e.op}${exprName(e.arg, 6)}`;
      return parentPrec > 6 ? `(${s})` : s;
    }
    case 'binary': {
      const p = PREC[e.op];
      const rightAssoc = e.op === '^';
      const s = `${exprName(e.left, rightAssoc ? p + 1 : p)}${e.op}${exprName(e.right, rightAssoc ? p : p, !rightAssoc)}`;
      return p < parentPrec || (p === parentPrec && rightSide) ? `(${s})` : s;
    }
  }
}

const TERM_FUNCS = new Set(['log', 'log1p', 'exp', 'sqrt', 'abs', 'lag', 'lead', 'diff', 'I', 'scale']);

/** Expands lag(EXPR, a:b) anywhere in e into one expression per lag (lag 0 = EXPR itself). */
export function expandExpr(e: Expr, what: string): Expr[] {
  if (e.kind === 'unary') return expandExpr(e.arg, what).map((arg) => ({ ...e, arg }));
  if (e.kind === 'binary') {
    const out: Expr[] = [];
    for (const left of expandExpr(e.left, what)) for (const right of expandExpr(e.right, what)) out.push({ ...e, left, right });
    return out;
  }
  if (e.kind === 'range') throw new EstimationInputError(`${what}: a range ${e.from}:${e.to} is only allowed as the lag of lag(EXPR, a:b)`, what);
  if (e.kind !== 'call') return [e];
  if ((e.fn === 'lag' || e.fn === 'lead') && e.args.length === 1) e = { ...e, args: [e.args[0], { kind: 'num', value: 1 }] };
  if ((e.fn === 'lag' || e.fn === 'lead') && e.args.length === 2 && e.args[1].kind === 'range') {
    const { from, to } = e.args[1];
    const step = from <= to ? 1 : -1;
    const out: Expr[] = [];
    for (const base of expandExpr(e.args[0], what))
      for (let k = from; step > 0 ? k <= to : k >= to; k += step)
        out.push(k === 0 ? base : { kind: 'call', fn: e.fn, args: [base, { kind: 'num', value: k }] });
    return out;
  }
  let acc: Expr[][] = [[]];
  for (const a of e.args) {
    const ex = expandExpr(a, what);
    acc = acc.flatMap((prefix) => ex.map((x) => [...prefix, x]));
  }
  return acc.map((args) => ({ kind: 'call', fn: e.fn, args }));
}

/** Checks the functions used and lag arguments, so that bad terms fail at parse time with the term named. */
export function validateExpr(e: Expr, what: string): void {
  if (e.kind === 'call') {
    if (!TERM_FUNCS.has(e.fn)) throw new EstimationInputError(`${what}: unknown function '${e.fn}' (known: ${[...TERM_FUNCS].join(', ')})`, what);
    if (e.fn === 'lag' || e.fn === 'lead' || e.fn === 'diff') {
      if (e.args.length < 1 || e.args.length > 2) throw new EstimationInputError(`${what}: ${e.fn}() takes (EXPR) or (EXPR, k)`, what);
      if (e.args.length === 2 && e.args[1].kind !== 'range' && intValue(e.args[1]) === undefined)
        throw new EstimationInputError(`${what}: the lag of ${e.fn}() must be an integer or a range a:b`, what);
    } else if (e.args.length !== 1) throw new EstimationInputError(`${what}: ${e.fn}() takes one argument`, what);
    e.args.forEach((a) => validateExpr(a, what));
  } else if (e.kind === 'unary') validateExpr(e.arg, what);
  else if (e.kind === 'binary') { validateExpr(e.left, what); validateExpr(e.right, what); }
  else if (e.kind === 'str') throw new EstimationInputError(`${what}: a string is not a term`, what);
}

/** Splits a token list at depth 0 on the given operators; returns the pieces and the separators before each. */
function splitTop(toks: Tok[], seps: string[]): { toks: Tok[]; sep: string | null }[] {
  const out: { toks: Tok[]; sep: string | null }[] = [{ toks: [], sep: null }];
  let depth = 0;
  for (const t of toks) {
    if (t.t === 'op' && t.v === '(') depth++;
    if (t.t === 'op' && t.v === ')') depth--;
    if (depth === 0 && t.t === 'op' && seps.includes(t.v)) out.push({ toks: [], sep: t.v });
    else out[out.length - 1].toks.push(t);
  }
  return out;
}

function parseToks(toks: Tok[], src: string, what: string): Expr {
  if (!toks.length) throw new EstimationInputError(`${what}: empty term in "${src}"`, what);
  const p = new Parser(toks, src, what);
  const e = p.parseExpr();
  if (!p.done()) p.fail('unexpected token');
  return e;
}

/** Parses a model formula. The parts after `|` are returned raw (fixed effects, or GMM instruments). */
export function parseFormula(src: string): ParsedFormula {
  const what = 'formula';
  const toks = tokenize(src, what);
  const sides = splitTop(toks, ['~']);
  if (sides.length !== 2) throw new EstimationInputError(`formula: expected exactly one '~' in "${src}"`, what);
  const lhsToks = sides[0].toks;
  if (!lhsToks.length) throw new EstimationInputError(`formula: missing dependent variable before '~' in "${src}"`, what);
  const lhs = parseToks(lhsToks, src, what);
  validateExpr(lhs, 'formula');
  const lhsExp = expandExpr(lhs, what);
  if (lhsExp.length !== 1) throw new EstimationInputError(`formula: the dependent variable cannot be a lag range`, what);
  const [rhsPart, ...rest] = splitTop(sides[1].toks, ['|']);
  let intercept = true;
  const terms: Term[] = [];
  const seen = new Set<string>();
  for (const piece of splitTop(rhsPart.toks, ['+', '-'])) {
    const negative = piece.sep === '-';
    if (!piece.toks.length) {
      if (piece.sep === null) continue; // leading '+' or '-' (as in "~ -1 + x")
      throw new EstimationInputError(`formula: empty term after '${piece.sep}' in "${src}"`, what);
    }
    if (piece.toks.length === 1 && piece.toks[0].t === 'num' && (piece.toks[0].v === '0' || piece.toks[0].v === '1')) {
      intercept = piece.toks[0].v === '1' ? !negative : negative;
      continue;
    }
    if (negative) throw new EstimationInputError(`formula: removing a term with '-' is only supported for the intercept ('- 1')`, what);
    const factorLists = splitTop(piece.toks, [':']).map((f) => {
      const e = parseToks(f.toks, src, what);
      const label = exprName(e);
      if (e.kind === 'binary' || e.kind === 'unary')
        throw new EstimationInputError(`formula: term '${label}' uses arithmetic outside I(); write I(${label}) (or a:b for an interaction)`, what);
      if (e.kind === 'num' || e.kind === 'str' || e.kind === 'range') throw new EstimationInputError(`formula: '${label}' is not a term`, what);
      validateExpr(e, `formula term '${label}'`);
      return expandExpr(e, `formula term '${label}'`);
    });
    let combos: Expr[][] = [[]];
    for (const fl of factorLists) combos = combos.flatMap((pre) => fl.map((x) => [...pre, x]));
    for (const factors of combos) {
      const name = factors.map((f) => exprName(f)).join(':');
      if (seen.has(name)) continue;
      seen.add(name);
      terms.push({ name, factors });
    }
  }
  const parts = rest.map((part) =>
    splitTop(part.toks, ['+']).map((p) => {
      const e = parseToks(p.toks, src, what);
      if (e.kind !== 'var' && e.kind !== 'call') throw new EstimationInputError(`formula: '${exprName(e)}' after '|' must be a variable or lag(...)`, what);
      return e;
    }),
  );
  return { lhs: lhsExp[0], lhsName: exprName(lhsExp[0]), terms, intercept, parts };
}

/** Column names an expression reads. */
export function exprVariables(e: Expr, out = new Set<string>()): Set<string> {
  if (e.kind === 'var') out.add(e.name);
  else if (e.kind === 'call') e.args.forEach((a) => exprVariables(a, out));
  else if (e.kind === 'unary') exprVariables(e.arg, out);
  else if (e.kind === 'binary') { exprVariables(e.left, out); exprVariables(e.right, out); }
  return out;
}

/** `lag(EXPR, a:b)` (or a bare EXPR = lag 0) as an instrument: its base expression and lag range (GMM). */
export function instrumentSpec(e: Expr, what: string): { base: Expr; name: string; minLag: number; maxLag: number } {
  if (e.kind === 'call' && e.fn === 'lag') {
    const arg = e.args[1];
    if (e.args.length === 2 && arg.kind === 'range') return { base: e.args[0], name: exprName(e.args[0]), minLag: Math.min(arg.from, arg.to), maxLag: Math.max(arg.from, arg.to) };
    const k = e.args.length === 2 ? intValue(arg) : 1;
    if (k === undefined) throw new EstimationInputError(`${what}: the lag of '${exprName(e)}' must be an integer or a range a:b`, what);
    return { base: e.args[0], name: exprName(e.args[0]), minLag: k, maxLag: k };
  }
  validateExpr(e, what);
  return { base: e, name: exprName(e), minLag: 0, maxLag: 0 };
}
