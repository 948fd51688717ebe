// Checks queries.jsonl against the union of the dev and extra catalogs (README.md of this folder):
// every expected path exists, ids and queries are unique, kinds are valid, every server has at
// least MIN_PER_SERVER queries and none more than MAX_SHARE of them. Prints counts; exits 1 with
// the list of problems.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const CATALOGS = ['../tool-search/dev-catalog.json', '../tool-search-extra/extra-catalog.json'];
const KINDS = ['agent-keywords', 'agent-scoped', 'agent-sentence'];
const MIN_PER_SERVER = 2;
const MAX_SHARE = 0.1;
const MAX_EXPECTED = 3;
const ID_PATTERN = /^agent-\d{3}$/;

const problems = [];

/** tool path (`<server_slug>-<tool_name>`) → server slug, over both catalogs */
function loadServerOfPath() {
  const serverOf = new Map();
  for (const file of CATALOGS) {
    const catalog = JSON.parse(readFileSync(join(here, file), 'utf8'));
    for (const [slug, tools] of Object.entries(catalog)) {
      for (const tool of tools) {
        const path = `${slug}-${tool.name}`;
        if (serverOf.has(path) && serverOf.get(path) !== slug) {
          problems.push(`catalogs: path ${path} names tools of two servers`);
        }
        serverOf.set(path, slug);
      }
    }
  }
  return serverOf;
}

function loadQueries() {
  const lines = readFileSync(join(here, 'queries.jsonl'), 'utf8').split('\n');
  const rows = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      rows.push({ line: index + 1, row: JSON.parse(line) });
    } catch (error) {
      problems.push(`line ${index + 1}: not JSON (${error.message})`);
    }
  });
  return rows;
}

function checkRow({ line, row }, serverOf, seen) {
  const where = `line ${line} (${row.id ?? 'no id'})`;
  const keys = Object.keys(row).sort().join(',');
  if (keys !== 'expected,id,kind,query') problems.push(`${where}: keys are ${keys}`);
  if (typeof row.id !== 'string' || !ID_PATTERN.test(row.id)) {
    problems.push(`${where}: id must match ${ID_PATTERN}`);
  } else if (seen.ids.has(row.id)) {
    problems.push(`${where}: duplicate id`);
  }
  seen.ids.add(row.id);
  if (typeof row.query !== 'string' || row.query.trim() === '') {
    problems.push(`${where}: empty query`);
  } else {
    const normalized = row.query.trim().toLowerCase().replace(/\s+/g, ' ');
    if (seen.queries.has(normalized)) problems.push(`${where}: duplicate query "${row.query}"`);
    seen.queries.add(normalized);
  }
  if (!KINDS.includes(row.kind)) problems.push(`${where}: kind "${row.kind}" not in ${KINDS}`);
  const expected = Array.isArray(row.expected) ? row.expected : [];
  if (expected.length < 1 || expected.length > MAX_EXPECTED) {
    problems.push(`${where}: expected must list 1-${MAX_EXPECTED} tool paths`);
  }
  if (new Set(expected).size !== expected.length) problems.push(`${where}: repeated path`);
  const servers = new Set();
  for (const path of expected) {
    if (serverOf.has(path)) servers.add(serverOf.get(path));
    else problems.push(`${where}: unknown tool path ${path}`);
  }
  return servers;
}

const serverOf = loadServerOfPath();
const rows = loadQueries();
const seen = { ids: new Set(), queries: new Set() };
const perKind = new Map(KINDS.map((kind) => [kind, 0]));
const perServer = new Map([...new Set(serverOf.values())].map((slug) => [slug, 0]));
let crossServer = 0;
for (const entry of rows) {
  const servers = checkRow(entry, serverOf, seen);
  if (perKind.has(entry.row.kind)) perKind.set(entry.row.kind, perKind.get(entry.row.kind) + 1);
  for (const slug of servers) perServer.set(slug, perServer.get(slug) + 1);
  if (servers.size > 1) crossServer += 1;
}

const cap = Math.floor(rows.length * MAX_SHARE);
for (const [slug, count] of perServer) {
  if (count < MIN_PER_SERVER) problems.push(`server ${slug}: ${count} queries, fewer than ${MIN_PER_SERVER}`);
  if (count > cap) problems.push(`server ${slug}: ${count} queries, more than ${cap} (10%)`);
}

console.log(`queries: ${rows.length} (${crossServer} expect tools of more than one server)`);
console.log(`per kind: ${[...perKind].map(([kind, n]) => `${kind} ${n}`).join(', ')}`);
console.log(`per server (a query counts once for each server in its expected list; cap ${cap}):`);
for (const [slug, count] of [...perServer].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
  console.log(`  ${slug.padEnd(22)} ${count}`);
}
if (problems.length > 0) {
  console.error(`${problems.length} problem(s):`);
  for (const problem of problems) console.error(`  ${problem}`);
  process.exit(1);
}
console.log('ok');
