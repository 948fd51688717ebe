// Where a process spent its CPU, from the .cpuprofile files `node --cpu-prof` wrote (for instance
// `BENCH_PROFILE=/tmp/prof npm run bench:transport`): self time by package (or file of ours) and
// the top functions, as shares of the busy (non-idle) time.
//   node bench/transport/profile-summary.mjs <dir or .cpuprofile> [top N functions, default 25]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const target = process.argv[2];
const TOP = Number(process.argv[3] ?? 25);
if (!target) {
  console.error('usage: node bench/transport/profile-summary.mjs <dir or .cpuprofile> [top]');
  process.exit(2);
}
const files = statSync(target).isDirectory()
  ? readdirSync(target)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(target, f))
  : [target];

/** `node_modules/@scope/pkg`, `node_modules/pkg`, `dist/<file>` (ours), `node:<module>`, or the frame's name. */
function where(url, functionName) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return `ours: ${url.slice(dist + 1)}`;
  if (url.startsWith('node:')) return url;
  return url;
}

const byPlace = new Map();
const byFunction = new Map();
let total = 0;
let idle = 0;
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  profile.samples.forEach((id, i) =>
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)),
  );
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    total += us;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    const place = where(url, functionName);
    byPlace.set(place, (byPlace.get(place) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${place}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
}
const busy = total - idle;
const pctOf = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
console.log(
  `${files.length} profile(s): ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (${((100 * busy) / total).toFixed(0)} %)`,
);
console.log('\nself time by package / file (share of busy time):');
for (const [place, us] of [...byPlace].sort((a, b) => b[1] - a[1]).slice(0, 30))
  console.log(`  ${pctOf(us)}  ${place}`);
console.log(`\ntop ${TOP} functions by self time:`);
for (const [fn, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, TOP))
  console.log(`  ${pctOf(us)}  ${fn}`);
