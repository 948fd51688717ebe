// Summarises a V8 heap snapshot (node bench/memory/heap-summary.mjs <file.heapsnapshot> [top]),
// e.g. one `npm run bench:memory` wrote with MEMORY_SNAPSHOT_DIR: what holds the heap.
//   - self size by node type (code, strings, objects, closures, arrays, …);
//   - compiled code and module source by package (a function's SharedFunctionInfo and what it
//     alone holds, its bytecode, plus each script's source text), "app" for dist/;
//   - the objects that retain the most (dominator tree, weak edges ignored), with the edge that
//     reaches each one from its dominator, and the top constructors by count and self size.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node bench/memory/heap-summary.mjs <file.heapsnapshot> [top]');
  process.exit(2);
}
const TOP = Number(process.argv[3] ?? 25);
const snap = JSON.parse(readFileSync(file, 'utf8'));
const meta = snap.snapshot.meta;
const NF = meta.node_fields.length;
const EF = meta.edge_fields.length;
const [T, NAME, , SIZE, EC] = [0, 1, 2, 3, 4].map((i) =>
  meta.node_fields.indexOf(['type', 'name', 'id', 'self_size', 'edge_count'][i]),
);
const NODE_TYPES = meta.node_types[0];
const EDGE_TYPES = meta.edge_types[0];
const WEAK = EDGE_TYPES.indexOf('weak');
const SHORTCUT = EDGE_TYPES.indexOf('shortcut');
const { nodes, edges, strings } = snap;
const n = nodes.length / NF;
const mb = (b) => (b / 2 ** 20).toFixed(1);

const type = (i) => NODE_TYPES[nodes[i * NF + T]];
const name = (i) => strings[nodes[i * NF + NAME]];
const size = (i) => nodes[i * NF + SIZE];
const firstEdge = new Uint32Array(n + 1);
for (let i = 0, e = 0; i < n; i++) {
  firstEdge[i] = e;
  e += nodes[i * NF + EC] * EF;
}
firstEdge[n] = edges.length;
const edgeName = (e) => {
  const t = EDGE_TYPES[edges[e]];
  const v = edges[e + 1];
  return t === 'element' || t === 'hidden' ? `[${v}]` : strings[v];
};
const to = (e) => edges[e + 2] / NF;

let total = 0;
const byType = new Map();
for (let i = 0; i < n; i++) {
  total += size(i);
  byType.set(type(i), (byType.get(type(i)) ?? 0) + size(i));
}
console.log(`${file}: ${n} nodes, ${mb(total)} MB self size in all`);
console.log('\nBy node type (self size, MB)');
for (const [t, s] of [...byType].sort((a, b) => b[1] - a[1]))
  console.log(`  ${t.padEnd(20)} ${mb(s).padStart(7)}`);

// Dominators (Cooper, Harvey & Kennedy), from the root (node 0), weak and shortcut edges ignored.
const post = new Int32Array(n).fill(-1);
const order = new Uint32Array(n);
let count = 0;
{
  const stack = [0];
  const iter = new Uint32Array(n);
  const seen = new Uint8Array(n);
  seen[0] = 1;
  iter[0] = firstEdge[0];
  while (stack.length) {
    const v = stack[stack.length - 1];
    let pushed = false;
    while (iter[v] < firstEdge[v + 1]) {
      const e = iter[v];
      iter[v] += EF;
      if (edges[e] === WEAK || edges[e] === SHORTCUT) continue;
      const w = to(e);
      if (!seen[w]) {
        seen[w] = 1;
        iter[w] = firstEdge[w];
        stack.push(w);
        pushed = true;
        break;
      }
    }
    if (!pushed) {
      stack.pop();
      post[v] = count;
      order[count++] = v;
    }
  }
}
// Predecessors (CSR) among reachable nodes.
const predCount = new Uint32Array(n + 1);
for (let v = 0; v < n; v++) {
  if (post[v] < 0) continue;
  for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += EF) {
    if (edges[e] === WEAK || edges[e] === SHORTCUT) continue;
    predCount[to(e) + 1]++;
  }
}
for (let i = 0; i < n; i++) predCount[i + 1] += predCount[i];
const preds = new Uint32Array(predCount[n]);
const fill = predCount.slice();
for (let v = 0; v < n; v++) {
  if (post[v] < 0) continue;
  for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += EF) {
    if (edges[e] === WEAK || edges[e] === SHORTCUT) continue;
    preds[fill[to(e)]++] = v;
  }
}
const idom = new Int32Array(n).fill(-1);
idom[0] = 0;
const intersect = (a, b) => {
  while (a !== b) {
    while (post[a] < post[b]) a = idom[a];
    while (post[b] < post[a]) b = idom[b];
  }
  return a;
};
for (let changed = true; changed;) {
  changed = false;
  for (let k = count - 2; k >= 0; k--) {
    const v = order[k];
    let d = -1;
    for (let p = predCount[v]; p < predCount[v + 1]; p++) {
      const u = preds[p];
      if (idom[u] < 0) continue;
      d = d < 0 ? u : intersect(u, d);
    }
    if (d >= 0 && idom[v] !== d) {
      idom[v] = d;
      changed = true;
    }
  }
}
const retained = new Float64Array(n);
for (let k = 0; k < count; k++) retained[order[k]] += size(order[k]);
for (let k = 0; k < count - 1; k++) {
  const v = order[k];
  retained[idom[v]] += retained[v];
}
/** The edge name by which a node's dominator (or any holder) reaches it. */
const via = (v) => {
  const d = idom[v];
  for (let e = firstEdge[d]; e < firstEdge[d + 1]; e += EF) if (to(e) === v) return edgeName(e);
  for (let p = predCount[v]; p < predCount[v + 1]; p++) {
    const u = preds[p];
    for (let e = firstEdge[u]; e < firstEdge[u + 1]; e += EF)
      if (to(e) === v) return `${name(u).slice(0, 30)}.${edgeName(e)}`;
  }
  return '?';
};

// Code and source by package: each SharedFunctionInfo's retained size (its bytecode, feedback
// metadata, scope info), attributed through its `script` edge; each script's source string.
const pkgOf = (url) => {
  if (!url) return '(no script)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.startsWith('node:')) return '(node internals)';
  if (/\/dist\//.test(url)) return 'app (dist/)';
  return url.length > 40 ? `…${url.slice(-40)}` : url;
};
const edgeTo = (v, label) => {
  for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += EF) if (edgeName(e) === label) return to(e);
  return -1;
};
const scriptUrl = new Map();
const urlOf = (script) => {
  if (!scriptUrl.has(script)) {
    const s = edgeTo(script, 'name');
    scriptUrl.set(script, s >= 0 && type(s) === 'string' ? name(s) : '');
  }
  return scriptUrl.get(script);
};
const codeBy = new Map();
const add = (pkg, k, v) => {
  const r = codeBy.get(pkg) ?? { code: 0, source: 0, fns: 0 };
  r[k] += v;
  codeBy.set(pkg, r);
};
for (let v = 0; v < n; v++) {
  if (type(v) !== 'code' && type(v) !== 'hidden') continue;
  const script = edgeTo(v, 'script');
  if (script < 0) continue;
  if (name(v) === 'system / Script' || edgeTo(v, 'source') >= 0) continue;
  add(pkgOf(urlOf(script)), 'code', retained[v]);
  add(pkgOf(urlOf(script)), 'fns', 1);
}
// Scripts: code nodes named by their URL (or "system / Script" with a `name` edge) with a `source`.
for (let v = 0; v < n; v++) {
  if (type(v) !== 'code' && type(v) !== 'hidden') continue;
  const src = edgeTo(v, 'source');
  if (src < 0 || !type(src).includes('string')) continue;
  const url = name(v).startsWith('system / ') ? urlOf(v) : name(v);
  add(pkgOf(url), 'source', size(src));
}
const codeRows = [...codeBy].sort((a, b) => b[1].code + b[1].source - (a[1].code + a[1].source));
const sum = (k) => codeRows.reduce((s, [, r]) => s + r[k], 0);
console.log(
  `\nCompiled code and source by package (MB; functions): code ${mb(sum('code'))}, source ${mb(sum('source'))}`,
);
for (const [pkg, r] of codeRows.slice(0, TOP))
  console.log(
    `  ${pkg.padEnd(44)} code ${mb(r.code).padStart(6)}  source ${mb(r.source).padStart(6)}  ${String(r.fns).padStart(6)} fns`,
  );

console.log('\nLargest retainers (retained MB, self KB; edge from its dominator)');
const skip = new Set(['(GC roots)', '(Global handles)', '(Strong roots)', '']);
const candidates = [];
for (let v = 1; v < n; v++)
  if (post[v] >= 0 && !skip.has(name(v)) && type(v) !== 'synthetic') candidates.push(v);
candidates.sort((a, b) => retained[b] - retained[a]);
for (const v of candidates.slice(0, TOP * 2))
  console.log(
    `  ${mb(retained[v]).padStart(6)} ${(size(v) / 1024).toFixed(0).padStart(6)}  ${type(v).padEnd(8)} ${name(v).slice(0, 60).replace(/\s+/g, ' ').padEnd(60)} ← ${via(v).slice(0, 50)} (${name(idom[v]).slice(0, 30).replace(/\s+/g, ' ')})`,
  );

const byCtor = new Map();
for (let v = 0; v < n; v++) {
  const k = `${type(v)} ${type(v) === 'string' || type(v) === 'concatenated string' ? '' : name(v).slice(0, 60)}`;
  const r = byCtor.get(k) ?? { count: 0, self: 0 };
  r.count++;
  r.self += size(v);
  byCtor.set(k, r);
}
console.log('\nTop constructors / names by self size (MB, count)');
for (const [k, r] of [...byCtor].sort((a, b) => b[1].self - a[1].self).slice(0, TOP))
  console.log(`  ${mb(r.self).padStart(6)} ${String(r.count).padStart(8)}  ${k}`);
