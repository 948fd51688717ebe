import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Every document a comment, a doc or a script cites is in the repository, every `#anchor` it
 * cites is a heading there, every `style.md §N` is a section of the house style, and no file
 * names a path of one machine (docs/testing.md, "How the tests are organised").
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCANNED = ['src', 'test', 'bench', 'scripts', 'deploy', 'config', 'docs', '.ci'];
const TOP_FILES = ['README.md', 'Dockerfile', 'package.json', 'nest-cli.json'];
const TEXT = /\.(ts|mts|cts|mjs|cjs|js|md|sh|ya?ml|json)$/;
/** Data sets (tool catalogs copied from real servers) quote other projects' text verbatim. */
const DATA = /^bench\/data\//;

function files(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.tools')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...files(path));
    else if (TEXT.test(name) || name === 'run') out.push(path);
  }
  return out;
}

const scanned = [
  ...SCANNED.flatMap((d) => files(join(root, d))),
  ...TOP_FILES.map((f) => join(root, f)).filter((f) => existsSync(f)),
].filter((f) => !DATA.test(relative(root, f)) && !f.endsWith('doc-references.e2e-spec.ts'));

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of markdown.split('\n')) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    anchors.add(slug);
  }
  return anchors;
}

/** Where a cited `.md` is: as written from the citing file, from the root, or in docs/. */
function locate(citing: string, cited: string): string | undefined {
  const candidates = [
    resolve(dirname(citing), cited),
    resolve(root, cited),
    resolve(root, 'docs', cited),
  ];
  return candidates.find((c) => c.startsWith(root) && existsSync(c));
}

// `docs/x.md`, `../x.md`, `x.md#anchor`; not URLs (a cited page of another site is not ours).
const CITATION = /(?<![\w/.:-])((?:\.{1,2}\/|[\w-]+\/)*[\w-]+\.md)(#[\w-]+)?/g;

describe('document references', () => {
  it('scans the repository', () => {
    expect(scanned.length).toBeGreaterThan(100);
  });

  it('every cited document and anchor exists in the repository', () => {
    const broken: string[] = [];
    for (const file of scanned) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(CITATION)) {
        const before = text.slice(Math.max(0, match.index - 8), match.index);
        if (/https?:\/\/\S*$/.test(before) || /\/\/$/.test(before)) continue;
        const [, cited, anchor] = match;
        const where = `${relative(root, file)}: ${match[0]}`;
        const target = locate(file, cited);
        if (!target) {
          broken.push(`${where} (no such file)`);
          continue;
        }
        if (anchor && !anchorsOf(readFileSync(target, 'utf8')).has(anchor.slice(1)))
          broken.push(`${where} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every cited section of the house style exists', () => {
    const sections = new Set(
      [...readFileSync(join(root, 'docs/style.md'), 'utf8').matchAll(/^## (§\d+)/gm)].map(
        (m) => m[1],
      ),
    );
    const broken: string[] = [];
    for (const file of scanned)
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:style\.md|house style),? (§\d+)/g))
        if (!sections.has(m[1])) broken.push(`${relative(root, file)}: ${m[0]}`);
    expect(broken).toEqual([]);
  });

  it('no file names a path of one machine', () => {
    const machinePath = /(?<![\w.])\/(?:work|root|home\/[\w-]+|Users\/[\w-]+)\/[\w.-]+/;
    const found = scanned.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => ({ line, at: `${relative(root, f)}:${i + 1}` }))
        .filter(({ line }) => machinePath.test(line))
        .map(({ at, line }) => `${at}: ${line.trim().slice(0, 120)}`),
    );
    expect(found).toEqual([]);
  });
});
