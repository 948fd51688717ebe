import { describe, expect, it } from '@jest/globals';
import { QueryAnalyser, splitClauses, splitLabel } from './query-analyser.js';
import { annotateEntities } from './query-entities.js';

const analyser = new QueryAnalyser();
const stems = (q: string) => analyser.analyse(q).concepts.map((c) => c.stem);

describe('QueryAnalyser', () => {
  it('keeps meaningful words once, stemmed', () => {
    expect(stems('delete the entities, all entities')).toEqual(['delet', 'entiti', 'all']);
  });

  it('keeps a CamelCase product name one word, its parts a weak alternative', () => {
    const [github] = analyser.analyse('GitHub').concepts;
    expect(github.stem).toBe('github');
    expect(github.terms.get('git')).toBeLessThan(1);
  });

  it('weighs quoted text, file and repository names as data, below the words of the request', () => {
    const { concepts } = analyser.analyse("move the page 'Old roadmap' to the trash");
    const weight = (stem: string) => concepts.find((c) => c.stem === stem)?.terms.get(stem);
    expect(weight('move')).toBe(1);
    expect(weight('roadmap')).toBeLessThan(0.5);
    const repo = analyser.analyse('open tickets in acme/webapp').concepts;
    expect(repo.find((c) => c.stem === 'repositori')?.terms.get('repositori')).toBe(1.5);
    expect(repo.find((c) => c.stem === 'webapp')?.terms.get('webapp')).toBeLessThan(0.5);
  });

  it('weighs the kind of a thing named by its form above a word, and a word the user wrote at 1', () => {
    const weight = (q: string, stem: string) =>
      analyser
        .analyse(q)
        .concepts.find((c) => c.stem === stem)
        ?.terms.get(stem);
    expect(weight('open https://example.com/pricing', 'url')).toBe(1.5);
    expect(weight('open the url of the pricing page', 'url')).toBe(1);
    expect(weight('open https://example.com/pricing', 'open')).toBe(1);
    expect(new QueryAnalyser({ entityKindWeight: 1 }).analyse('read notes.txt').concepts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ stem: 'file', terms: new Map([['file', 1]]) }),
      ]),
    );
  });

  it('splits the text into clauses at punctuation and conjunctions, and numbers each word by its clause', () => {
    expect(splitClauses('list the tables, the data lives in our warehouse')).toEqual([
      'list the tables',
      'the data lives in our warehouse',
    ]);
    expect(splitClauses('read report.pdf and notes.txt. Then summarise 1,000 rows')).toEqual([
      'read report.pdf',
      'notes.txt',
      'summarise 1,000 rows',
    ]);
    expect(splitClauses('scale the deployment before noon')).toEqual([
      'scale the deployment before noon',
    ]);
    const clauses = new Map(
      analyser
        .analyse("GitHub: list the PRs, which touch 'auth'")
        .concepts.map((c) => [c.stem, c.clause]),
    );
    expect(Object.fromEntries(clauses)).toEqual({ list: 0, pr: 0, touch: 1, github: -1, auth: -1 });
  });

  it('reads a leading label, and the action after it', () => {
    const analysed = analyser.analyse('Google Maps: which places are open now?');
    expect(analysed.label).toEqual(['google', 'maps']);
    expect(analysed.action).toBe('read');
    expect(analyser.analyse('pull up PR #77: its title').label).toEqual([]);
  });

  it('reads chained labels as one ("server: github tool: …"), and no label without a rest', () => {
    expect(splitLabel('server: github tool: create_issue')).toEqual({
      label: 'server github tool',
      rest: 'create_issue',
    });
    expect(splitLabel('weather service: 5-day forecast for a city')).toEqual({
      label: 'weather service',
      rest: '5-day forecast for a city',
    });
    expect(analyser.analyse('spreadsheet or office documents: append rows').label).toEqual([
      'spreadsheet',
      'or',
      'office',
      'documents',
    ]);
    expect(splitLabel('github:').label).toBe('');
    expect(splitLabel('one two three four five six seven eight nine: ten').label).toBe('');
    // The label's words still count as words of the query.
    expect(stems('knowledge graph: forget the entity')).toEqual(
      expect.arrayContaining(['knowledg', 'graph', 'entiti']),
    );
  });

  it('reads what the query asks to do', () => {
    expect(analyser.analyse('which issues are open?').action).toBe('read');
    expect(analyser.analyse('remove the old branch').action).toBe('delete');
    expect(analyser.analyse('create a project').action).toBe('create');
    expect(analyser.analyse('slack channels').action).toBeUndefined();
  });
});

describe('annotateEntities', () => {
  it('names the kind of URLs, files, images, channels and SQL', () => {
    expect(annotateEntities('open https://docs.acme.io/start')).toContain(
      'url page docs acme start',
    );
    expect(annotateEntities('read notes.txt')).toContain('file "notes"');
    expect(annotateEntities('tail logs/server.log')).toContain('file "logs server"');
    expect(annotateEntities('load diagram.png')).toContain('image file "diagram"');
    expect(annotateEntities('show the Dockerfile')).toContain('file "Dockerfile"');
    expect(annotateEntities('edit .env')).toContain('file "env"');
    expect(annotateEntities('create src/components/ui')).toContain(
      'directory path "src components ui"',
    );
    expect(annotateEntities('files under docs/ please')).toContain('directory path "docs"');
    expect(annotateEntities('texts sent to +15551234567')).toContain('phone number');
    expect(annotateEntities('call (555) 123-4567 now')).toContain('phone number');
    expect(annotateEntities('forward localhost:8080')).toContain('host port');
    expect(annotateEntities('ping 10.0.0.12')).toContain('ip address');
    expect(annotateEntities('ssh to 10.0.0.12:22')).toContain('ip address port');
    expect(annotateEntities('errors since 2026-01-31T10:00:00Z')).toContain('since  date ');
    expect(annotateEntities('issues of octocat/hello-world?')).toContain(
      'repository "octocat hello world"',
    );
    expect(annotateEntities('history of #incidents')).toContain('channel incidents');
    expect(annotateEntities('SELECT id FROM users')).toContain('sql query database');
    expect(annotateEntities('delete the job cleanup-42.')).toContain('"cleanup 42"');
    expect(annotateEntities('mappings of logs-2024, please')).toContain('"logs 2024"');
    expect(annotateEntities('close #77 today')).toContain('#77 number');
    expect(annotateEntities('get run 3f2b8c1e-9a4d-4e2b-8f00-1c2d3e4f5a6b')).toBe('get run  id ');
  });

  it('leaves plain words, fractions and abbreviations alone', () => {
    expect(annotateEntities('delete from the list')).toBe('delete from the list');
    expect(annotateEntities('3/4 of runs, 24/7')).toBe('3/4 of runs, 24/7');
    expect(annotateEntities('a script w/ mocks')).toBe('a script w/ mocks');
    expect(annotateEntities('a read-only, built-in k8s pod')).toBe('a read-only, built-in k8s pod');
  });
});
