import { describe, expect, it } from '@jest/globals';
import { analyse, normaliseWhitespace, splitWords, stemWord } from './text-normaliser.js';

describe('splitWords', () => {
  it.each([
    ['slack_post_message', ['slack', 'post', 'message']],
    ['getUserProfile', ['get', 'user', 'profile']],
    ['API-post-search', ['api', 'post', 'search']],
    ['HTMLParser', ['html', 'parser']],
    ['list open PRs', ['list', 'open', 'prs']],
    ['read URLs and IDs', ['read', 'urls', 'and', 'ids']],
    ['what’s in config/settings.yaml?', ['whats', 'in', 'config', 'settings', 'yaml']],
    ['v2Api', ['v2', 'api']],
    ['Größe ändern', ['größe', 'ändern']],
    ["I'd like the library ID", ['i', 'like', 'the', 'library', 'id']],
  ])('%s', (text, words) => {
    expect(splitWords(text)).toEqual(words);
  });
});

describe('splitWords on Chinese and Japanese text', () => {
  it('splits a run without spaces into dictionary words', () => {
    const words = splitWords('创建一个新的存储库');
    expect(words.length).toBeGreaterThan(1);
    expect(words.join('')).toBe('创建一个新的存储库');
    expect(words).toContain('创建');
  });

  it('drops Japanese particles and endings, keeps the words and the Latin ones around them', () => {
    const words = splitWords('ファイルを削除します on GitHub');
    expect(words).toEqual(expect.arrayContaining(['ファイル', '削除', 'on', 'git', 'hub']));
    expect(words).not.toContain('を');
    expect(words).not.toContain('ます');
  });
});

describe('analyse', () => {
  it('drops stop words and numbers, keeps words with letters, stems', () => {
    expect(analyse('What are the 3 newest issues in k8s?')).toEqual(['newest', 'issu', 'k8']);
  });

  it('indexes a CamelCase word both whole and split (GitHub → github, git, hub)', () => {
    expect(analyse('Search GitHub and CircleCI')).toEqual([
      'search',
      'git',
      'hub',
      'circl',
      'ci',
      'github',
      'circleci',
    ]);
  });

  it('stems inflections to one term', () => {
    expect(new Set(['entity', 'entities'].map(stemWord)).size).toBe(1);
    expect(stemWord('directories')).toBe(stemWord('directory'));
  });

  it('leaves words of two letters alone', () => {
    expect(stemWord('pr')).toBe('pr');
  });
});

describe('normaliseWhitespace', () => {
  it('collapses runs of whitespace and trims', () => {
    expect(normaliseWhitespace('  a\n\n b\t c ')).toBe('a b c');
  });
});
