// Symbolic analysis of a sparse symmetric matrix with a given pattern, done once per weights matrix and reused for
// every numeric factorisation of I - rho S (the pattern does not depend on rho): elimination tree, postorder,
// column counts of L, supernodes and their row structures, and the index maps the multifrontal numeric phase
// (cholesky-numeric.ts) follows - where each entry of A goes in its frontal matrix, where each row of a child's
// update matrix goes in its parent's front, and how much stack the update matrices need.
import type { Graph } from './ordering.js';

export interface Symbolic {
  n: number;
  /** perm[k] = original index of the k-th pivot (fill-reducing order, postordered) */
  perm: Int32Array;
  /** supernode s holds the consecutive pivots first[s] .. first[s+1]-1 */
  nsuper: number;
  first: Int32Array;
  /** row structure of supernode s in pivot numbering: rows[rowPtr[s] .. rowPtr[s+1]), its own pivots first */
  rowPtr: Int32Array;
  rows: Int32Array;
  /** off-diagonal entries of A assembled into the front of s (row-major, stride = its row count): position aPos[k], value index aSrc[k] into
   * the graph's adjacency (the value of S at (row, col)), for k in aPtr[s] .. aPtr[s+1] */
  aPtr: Int32Array;
  aPos: Int32Array;
  aSrc: Int32Array;
  /** children of s (supernodes whose update goes to s): child[childPtr[s] .. childPtr[s+1]) */
  childPtr: Int32Array;
  child: Int32Array;
  /** for supernode c with a parent: positions in the parent's row list of c's update rows, rel[relPtr[c] ..] */
  relPtr: Int32Array;
  rel: Int32Array;
  /** largest front (rows) and the stack of pending update matrices, in doubles */
  maxFront: number;
  stackSize: number;
  /** nnz(L) including the diagonal, and sum over columns of count^2 (the usual flop measure) */
  nnzL: number;
  flops: number;
}

/** Elimination tree of the matrix with pattern g permuted by perm (pinv = inverse), Liu's algorithm with path
 * compression. */
function etree(g: Graph, perm: Int32Array, pinv: Int32Array): Int32Array {
  const n = g.n, parent = new Int32Array(n).fill(-1), ancestor = new Int32Array(n).fill(-1);
  for (let k = 0; k < n; k++) {
    const o = perm[k];
    for (let p = g.ptr[o]; p < g.ptr[o + 1]; p++) {
      let i = pinv[g.adj[p]];
      while (i !== -1 && i < k) {
        const next = ancestor[i];
        ancestor[i] = k;
        if (next === -1) parent[i] = k;
        i = next;
      }
    }
  }
  return parent;
}

/** Postorder of a forest given by parent[]: post[k] = node visited k-th (children in increasing order). */
function postorder(parent: Int32Array): Int32Array {
  const n = parent.length, head = new Int32Array(n).fill(-1), next = new Int32Array(n).fill(-1);
  for (let j = n - 1; j >= 0; j--) if (parent[j] !== -1) { next[j] = head[parent[j]]; head[parent[j]] = j; }
  const post = new Int32Array(n), stack = new Int32Array(n);
  let k = 0;
  for (let r = 0; r < n; r++) {
    if (parent[r] !== -1) continue;
    let top = 0;
    stack[0] = r;
    while (top >= 0) {
      const p = stack[top], c = head[p];
      if (c === -1) { top--; post[k++] = p; } else { head[p] = next[c]; stack[++top] = c; }
    }
  }
  return post;
}

/** Relaxed amalgamation over fundamental supernodes (starting columns `fund`, in postorder so a supernode's last
 * child is the one just before it): going down from the top, supernode s is merged into s + 1 when s + 1 is its
 * parent and the merged supernode is small or adds few explicit zeros (fraction of the merged block). Returns
 * the starting columns of the merged supernodes, with n appended. */
function amalgamate(fund: number[], n: number, parent: Int32Array, cc: Int32Array): Int32Array {
  const nf = fund.length;
  if (nf === 0) return new Int32Array([0]);
  const start = Int32Array.from(fund), width = new Int32Array(nf), below = new Int32Array(nf), zeros = new Float64Array(nf);
  const snode = new Int32Array(n);
  for (let s = 0; s < nf; s++) {
    const f = start[s], l = s + 1 < nf ? start[s + 1] - 1 : n - 1;
    width[s] = l - f + 1; below[s] = cc[l] - 1;
    for (let j = f; j <= l; j++) snode[j] = s;
  }
  // going down, the group holding s + 1 always starts at s + 1 (nothing below it has been merged yet): keep
  // each group's width, explicit zeros and last member on its first member
  const isStart = new Uint8Array(nf).fill(1), gtop = Int32Array.from({ length: nf }, (_, s) => s);
  const gw = Int32Array.from(width), gz = Float64Array.from(zeros);
  for (let s = nf - 2; s >= 0; s--) {
    const l = start[s] + width[s] - 1;
    if (parent[l] === -1 || snode[parent[l]] !== s + 1) continue;
    const h = s + 1, top = gtop[h];
    const w = width[s], ns = w + gw[h];
    // each column of s gains the group's pivots and its rows below: (W + below(top) - below(s)) zeros
    const z = gz[h] + w * (gw[h] + below[top] - below[s]);
    const frac = z / ((ns * (ns + 1)) / 2 + ns * below[top]);
    if (!(ns <= 4 || (ns <= 16 && frac < 0.8) || (ns <= 48 && frac < 0.1) || frac < 0.05)) continue;
    isStart[h] = 0; gtop[s] = top; gw[s] = ns; gz[s] = z;
  }
  const out: number[] = [];
  for (let s = 0; s < nf; s++) if (isStart[s]) out.push(start[s]);
  out.push(n);
  return Int32Array.from(out);
}

export function analyse(g: Graph, order: Int32Array): Symbolic {
  const n = g.n, { ptr, adj } = g;
  let pinv = new Int32Array(n);
  for (let k = 0; k < n; k++) pinv[order[k]] = k;
  // postorder the elimination tree so every supernode is a run of consecutive pivots (fill is unchanged)
  const post = postorder(etree(g, order, pinv));
  const perm = Int32Array.from(post, (k) => order[k]);
  pinv = new Int32Array(n);
  for (let k = 0; k < n; k++) pinv[perm[k]] = k;
  const parent = etree(g, perm, pinv);

  // column counts from the row subtrees: row k of L has a nonzero in every column on the tree paths from its
  // A-entries i < k up to k (total work nnz(L))
  const cc = new Int32Array(n).fill(1), mark = new Int32Array(n).fill(-1);
  for (let k = 0; k < n; k++) {
    mark[k] = k;
    const o = perm[k];
    for (let p = ptr[o]; p < ptr[o + 1]; p++) {
      let i = pinv[adj[p]];
      if (i >= k) continue;
      while (mark[i] !== k) { cc[i]++; mark[i] = k; i = parent[i]; }
    }
  }
  let nnzL = 0, flops = 0;
  for (let j = 0; j < n; j++) { nnzL += cc[j]; flops += cc[j] * cc[j]; }

  // fundamental supernodes: j + 1 joins j's supernode when it is j's parent and column j is column j + 1 plus the
  // diagonal; then relaxed amalgamation merges small supernodes into their parents (a few explicit zeros buy
  // fewer, larger dense fronts - the rule and thresholds of CHOLMOD's cholmod_super)
  const fund: number[] = [];
  for (let j = 0; j < n; j++) if (j === 0 || !(parent[j - 1] === j && cc[j - 1] === cc[j] + 1)) fund.push(j);
  const first = amalgamate(fund, n, parent, cc);
  const nsuper = first.length - 1;
  const snode = new Int32Array(n);
  for (let s = 0; s < nsuper; s++) for (let j = first[s]; j < first[s + 1]; j++) snode[j] = s;
  const sparent = new Int32Array(nsuper);
  for (let s = 0; s < nsuper; s++) { const pj = parent[first[s + 1] - 1]; sparent[s] = pj === -1 ? -1 : snode[pj]; }
  const childPtr = new Int32Array(nsuper + 1);
  for (let s = 0; s < nsuper; s++) if (sparent[s] >= 0) childPtr[sparent[s] + 1]++;
  for (let s = 0; s < nsuper; s++) childPtr[s + 1] += childPtr[s];
  const child = new Int32Array(childPtr[nsuper]), cfill = childPtr.slice(0, nsuper);
  for (let s = 0; s < nsuper; s++) if (sparent[s] >= 0) child[cfill[sparent[s]]++] = s;

  // row structures: own pivots, then A's rows below the supernode and the children's update rows, sorted
  const rowPtr = new Int32Array(nsuper + 1);
  // rows of a (possibly amalgamated) supernode: its pivots and the rows below its last pivot
  for (let s = 0; s < nsuper; s++) rowPtr[s + 1] = rowPtr[s] + (first[s + 1] - first[s]) + cc[first[s + 1] - 1] - 1;
  const rows = new Int32Array(rowPtr[nsuper]);
  const where = new Int32Array(n).fill(-1), stamp = new Int32Array(n).fill(-1);
  const relPtr = new Int32Array(nsuper + 1);
  for (let s = 0; s < nsuper; s++) relPtr[s + 1] = relPtr[s] + (sparent[s] >= 0 ? rowPtr[s + 1] - rowPtr[s] - (first[s + 1] - first[s]) : 0);
  const rel = new Int32Array(relPtr[nsuper]);
  const aPtr = new Int32Array(nsuper + 1);
  const aPosList: number[] = [], aSrcList: number[] = [];
  let maxFront = 0;
  for (let s = 0; s < nsuper; s++) {
    const f = first[s], l = first[s + 1] - 1, w = l - f + 1, base = rowPtr[s];
    let q = base;
    for (let j = f; j <= l; j++) { rows[q++] = j; stamp[j] = s; }
    for (let j = f; j <= l; j++) {
      const o = perm[j];
      for (let p = ptr[o]; p < ptr[o + 1]; p++) { const i = pinv[adj[p]]; if (i > l && stamp[i] !== s) { stamp[i] = s; rows[q++] = i; } }
    }
    for (let c = childPtr[s]; c < childPtr[s + 1]; c++) {
      const ch = child[c], wc = first[ch + 1] - first[ch];
      for (let r = rowPtr[ch] + wc; r < rowPtr[ch + 1]; r++) { const i = rows[r]; if (stamp[i] !== s) { stamp[i] = s; rows[q++] = i; } }
    }
    const m = q - base;
    if (m !== rowPtr[s + 1] - base) throw new Error(`cholesky symbolic: supernode ${s} has ${m} rows, column count ${rowPtr[s + 1] - base}`);
    rows.subarray(base + w, q).sort();
    for (let r = 0; r < m; r++) where[rows[base + r]] = r;
    if (m > maxFront) maxFront = m;
    // children's update rows -> positions in this front
    for (let c = childPtr[s]; c < childPtr[s + 1]; c++) {
      const ch = child[c], wc = first[ch + 1] - first[ch];
      let t = relPtr[ch];
      for (let r = rowPtr[ch] + wc; r < rowPtr[ch + 1]; r++) rel[t++] = where[rows[r]];
    }
    // A's strictly lower entries of the supernode's columns (the diagonal is handled by the numeric phase)
    for (let j = f; j <= l; j++) {
      const o = perm[j], col = j - f;
      for (let p = ptr[o]; p < ptr[o + 1]; p++) {
        const i = pinv[adj[p]];
        if (i > j) { aPosList.push(where[i] * m + col); aSrcList.push(p); }
      }
    }
    aPtr[s + 1] = aPosList.length;
  }

  // stack of pending update matrices in postorder: a supernode's children are on top when it is processed
  let top = 0, stackSize = 0;
  const pushed = new Int32Array(nsuper);
  for (let s = 0; s < nsuper; s++) {
    for (let c = childPtr[s]; c < childPtr[s + 1]; c++) top -= pushed[child[c]];
    const u = rowPtr[s + 1] - rowPtr[s] - (first[s + 1] - first[s]);
    pushed[s] = sparent[s] >= 0 ? u * u : 0;
    top += pushed[s];
    if (top > stackSize) stackSize = top;
  }
  return {
    n, perm, nsuper, first, rowPtr, rows, aPtr, aPos: Int32Array.from(aPosList), aSrc: Int32Array.from(aSrcList),
    childPtr, child, relPtr, rel, maxFront, stackSize, nnzL, flops,
  };
}
