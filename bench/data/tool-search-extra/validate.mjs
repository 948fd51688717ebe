import { readFileSync } from "node:fs";
const dir = process.argv[2] || new URL(".", import.meta.url).pathname;
const cat = JSON.parse(readFileSync(`${dir}/extra-catalog.json`, "utf8"));
const dev = JSON.parse(readFileSync(`${dir}/../tool-search/dev-catalog.json`, "utf8"));
const errs = [];
const paths = new Set();
let nTools = 0;
for (const [slug, tools] of Object.entries(cat)) {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slug)) errs.push(`bad slug ${slug}`);
  if (slug in dev) errs.push(`slug ${slug} is in dev-catalog`);
  const names = new Set();
  for (const t of tools) {
    nTools++;
    if (typeof t.name !== "string" || typeof t.description !== "string" || typeof t.inputSchema !== "object") errs.push(`bad tool ${slug}/${t.name}`);
    if (names.has(t.name)) errs.push(`dup tool ${slug}/${t.name}`);
    names.add(t.name);
    const p = `${slug}-${t.name}`;
    if (paths.has(p)) errs.push(`ambiguous path ${p}`);
    paths.add(p);
  }
  console.log(`${slug.padEnd(14)} ${tools.length}`);
}
console.log(`servers ${Object.keys(cat).length}, tools ${nTools}`);
const KINDS = ["paraphrase", "task", "keyword", "server-qualified", "hard"];
const counts = Object.fromEntries(KINDS.map((k) => [k, 0]));
const ids = new Set(); const used = new Set(); const qs = new Set();
const lines = readFileSync(`${dir}/extra-queries.jsonl`, "utf8").split("\n").filter(Boolean);
for (const [i, line] of lines.entries()) {
  let q; try { q = JSON.parse(line); } catch { errs.push(`line ${i + 1}: bad JSON`); continue; }
  const keys = Object.keys(q).join(",");
  if (keys !== "id,query,expected,kind") errs.push(`${q.id}: keys ${keys}`);
  if (ids.has(q.id)) errs.push(`dup id ${q.id}`); ids.add(q.id);
  if (qs.has(q.query.toLowerCase())) errs.push(`dup query ${q.query}`); qs.add(q.query.toLowerCase());
  if (!KINDS.includes(q.kind)) errs.push(`${q.id}: bad kind ${q.kind}`); else counts[q.kind]++;
  if (!Array.isArray(q.expected) || q.expected.length < 1 || q.expected.length > 3) errs.push(`${q.id}: expected size`);
  for (const p of q.expected) { if (!paths.has(p)) errs.push(`${q.id}: unknown path ${p}`); used.add(p); }
}
console.log(`queries ${lines.length}`, counts);
console.log(`distinct expected tools ${used.size} / ${paths.size}`);
const perServer = {};
for (const p of used) { const s = Object.keys(cat).find((s) => p.startsWith(s + "-") && cat[s].some((t) => `${s}-${t.name}` === p)); perServer[s] = (perServer[s] || 0) + 1; }
console.log("distinct expected tools per server", perServer);
if (errs.length) { console.log("ERRORS:\n" + errs.join("\n")); process.exit(1); }
console.log("OK");
