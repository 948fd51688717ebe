// Checks the fresh tool-search evaluation set (see README.md beside this file).
// Usage: bash scripts/with-node.sh node bench/data/tool-search-fresh/validate.mjs
// Exits non-zero and lists every problem when the set is malformed.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const KINDS = ['agent-keyword', 'agent-structured', 'paraphrase', 'task', 'context', 'identifier', 'hard'];
// Servers that other query sets already use: none of them may appear in this one.
const EXCLUDED = [
  'everything', 'filesystem', 'memory', 'github', 'slack', 'postgres', 'brave-search', 'google-maps',
  'sequential-thinking', 'notion', 'context7', 'tavily', 'circleci', 'sentry', 'playwright', 'stripe',
  'kubernetes', 'firecrawl', 'exa', 'supabase', 'mongodb', 'elasticsearch', 'gitlab', 'hubspot', 'twilio',
  'shopify-dev', 'neon',
];

const catalog = JSON.parse(readFileSync(join(here, 'catalog.json'), 'utf8'));
const problems = [];
const paths = new Map(); // tool path -> server slug
for (const [slug, tools] of Object.entries(catalog)) {
  if (EXCLUDED.includes(slug)) problems.push(`catalog: server '${slug}' is on the excluded list`);
  if (!Array.isArray(tools) || tools.length === 0) problems.push(`catalog: server '${slug}' has no tools`);
  for (const tool of tools) {
    if (typeof tool.name !== 'string' || !tool.inputSchema) problems.push(`catalog: ${slug} has a tool without name/inputSchema`);
    const path = `${slug}-${tool.name}`;
    if (paths.has(path)) problems.push(`catalog: duplicate tool path ${path}`);
    paths.set(path, slug);
  }
}

const lines = readFileSync(join(here, 'queries.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');
const ids = new Set();
const texts = new Set();
const perKind = Object.fromEntries(KINDS.map((k) => [k, 0]));
const perServer = Object.fromEntries(Object.keys(catalog).map((s) => [s, 0]));
lines.forEach((line, i) => {
  let q;
  try {
    q = JSON.parse(line);
  } catch (err) {
    problems.push(`queries line ${i + 1}: not JSON (${err.message})`);
    return;
  }
  const where = `queries line ${i + 1} (${q.id})`;
  const keys = Object.keys(q).sort().join(',');
  if (keys !== 'expected,id,kind,query') problems.push(`${where}: keys are ${keys}, want id, query, expected, kind`);
  if (!/^fresh-\d{3}$/.test(q.id ?? '')) problems.push(`${where}: id must look like fresh-001`);
  if (ids.has(q.id)) problems.push(`${where}: duplicate id`);
  ids.add(q.id);
  const text = String(q.query ?? '').trim().toLowerCase();
  if (!text) problems.push(`${where}: empty query`);
  if (texts.has(text)) problems.push(`${where}: duplicate query text`);
  texts.add(text);
  if (!KINDS.includes(q.kind)) problems.push(`${where}: unknown kind '${q.kind}'`);
  else perKind[q.kind] += 1;
  if (!Array.isArray(q.expected) || q.expected.length < 1 || q.expected.length > 3) {
    problems.push(`${where}: expected must list 1 to 3 tool paths`);
    return;
  }
  if (new Set(q.expected).size !== q.expected.length) problems.push(`${where}: expected repeats a path`);
  const servers = new Set();
  for (const path of q.expected) {
    if (!paths.has(path)) problems.push(`${where}: expected path '${path}' is not in the catalog`);
    else servers.add(paths.get(path));
  }
  // A query counts once for each server among its expected tools.
  for (const s of servers) perServer[s] += 1;
});

const total = lines.length;
const toolCount = [...paths.keys()].length;
console.log(`catalog: ${Object.keys(catalog).length} servers, ${toolCount} tools; queries: ${total}`);
console.log('\nper kind:');
for (const [k, n] of Object.entries(perKind)) console.log(`  ${k.padEnd(18)} ${String(n).padStart(4)}  ${((100 * n) / total).toFixed(1)}%`);
console.log('\nper server (queries whose expected tools include the server; tools in catalog):');
for (const [s, n] of Object.entries(perServer).sort((a, b) => b[1] - a[1])) {
  console.log(`  ${s.padEnd(14)} ${String(n).padStart(4)}  ${((100 * n) / total).toFixed(1)}%  (${catalog[s].length} tools)`);
  if (n === 0) problems.push(`server '${s}' has no query`);
  if (n / total > 0.15) problems.push(`server '${s}' has more than 15% of the queries`);
}
const distinct = new Set(lines.flatMap((l) => JSON.parse(l).expected ?? []));
console.log(`\ndistinct expected tools: ${distinct.size} of ${toolCount}`);

if (problems.length) {
  console.error(`\n${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('\nOK');
