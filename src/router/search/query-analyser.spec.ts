import { describe, expect, it } from '@jest/globals';
import { QueryAnalyser } from './query-analyser.js';
import { annotateEntities } from './query-entities.js';

const analyser = new QueryAnalyser({
  synonymWeight: 0.5,
  abbreviationWeight: 0.9,
  relatedWeight: 0.3,
});
const stems = (q: string) => analyser.analyse(q).concepts.map((c) => c.stem);

describe('QueryAnalyser', () => {
  it('keeps meaningful words once, stemmed', () => {
    expect(stems('delete the entities, all entities')).toEqual(['delet', 'entiti', 'all']);
  });

  it('joins phrases before dropping stop words', () => {
    expect(stems('set up a team')).toEqual(['creat', 'team']);
    expect(stems('go back to the previous page')).toContain('back');
  });

  it('weights the word itself over abbreviations, synonyms and related words', () => {
    const [pr] = analyser.analyse('PRs').concepts;
    expect(pr.terms.get('pr')).toBe(1);
    expect(pr.terms.get('pull')).toBe(0.9);
    const [remove] = analyser.analyse('remove').concepts;
    expect(remove.terms.get('delet')).toBe(0.5);
    const [commit] = analyser.analyse('commit').concepts;
    expect(commit.terms.get('histori')).toBe(0.3);
  });

  it('reads what the query asks to do', () => {
    expect(analyser.analyse('which issues are open?').action).toBe('read');
    expect(analyser.analyse('remove the old branch').action).toBe('delete');
    expect(analyser.analyse('set up a project').action).toBe('create');
    expect(analyser.analyse('slack channels').action).toBeUndefined();
  });
});

describe('annotateEntities', () => {
  it('names the kind of URLs, files, images, channels and SQL', () => {
    expect(annotateEntities('open https://docs.acme.io/start')).toContain(
      'url page docs acme start',
    );
    expect(annotateEntities('read notes.txt')).toContain('file notes txt');
    expect(annotateEntities('load diagram.png')).toContain('image file diagram png');
    expect(annotateEntities('history of #incidents')).toContain('channel incidents');
    expect(annotateEntities('SELECT id FROM users')).toContain('sql query database');
  });

  it('leaves plain words alone', () => {
    expect(annotateEntities('delete from the list')).toBe('delete from the list');
  });
});
