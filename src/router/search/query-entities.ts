/**
 * Things in a query that say what kind of object it is about, though no tool shares their words:
 * a URL means a web page, `report.pdf` or `Dockerfile` a file, `diagram.png` an image,
 * `src/components/` a directory, `octocat/hello-world` a repository, `#general` a channel,
 * `SELECT … FROM` SQL; a name with a number in it (`cleanup-42`) is a name, not words to match. Each is replaced by its kind plus the words worth keeping (host labels,
 * file names), so "open https://example.com" reads as "open url page example".
 */
interface EntityRule {
  readonly pattern: RegExp;
  readonly replace: (match: string) => string;
}

const IMAGE_EXTENSIONS = 'png|jpe?g|gif|svg|webp|bmp|ico|tiff?';
const FILE_EXTENSIONS =
  'txt|md|markdown|json|ya?ml|toml|ini|cfg|conf|env|csv|tsv|log|pdf|docx?|xlsx?|pptx?|html?|css|' +
  'xml|js|mjs|cjs|jsx|tsx?|py|rb|go|rs|java|kt|c|h|cpp|cs|php|sh|sql|lock|zip|gz|tar|tgz';
/** Files named without an extension that every repository may hold. */
const WELL_KNOWN_FILES =
  'Dockerfile|Containerfile|Makefile|Procfile|Gemfile|Rakefile|Jenkinsfile|Vagrantfile|' +
  'Brewfile|Justfile|README|LICENSE|CHANGELOG|CONTRIBUTING|CODEOWNERS';
/** Host labels that say nothing about the site. */
const GENERIC_HOST_LABELS = new Set([
  'www',
  'com',
  'org',
  'net',
  'io',
  'dev',
  'app',
  'ai',
  'co',
  'html',
]);

/** Names of things (files, repositories): quoted, so the analyser weighs them as data. */
function named(text: string): string {
  return `"${words(text)}"`;
}

/** A path without the file's extension: `logs/server.log` → `logs/server`. */
function withoutExtension(path: string): string {
  return path.replace(/\.[^./]*$/, '') || path;
}

function words(text: string): string {
  return text
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w && !GENERIC_HOST_LABELS.has(w.toLowerCase()))
    .join(' ');
}

const RULES: readonly EntityRule[] = [
  {
    pattern: /\bhttps?:\/\/\S+/gi,
    replace: (m) => ` url page ${words(m.replace(/^https?:\/\//i, ''))} `,
  },
  { pattern: /\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g, replace: () => ' email address ' },
  // An IPv4 address (with its port, if any), then a host with a port (`localhost:8080`).
  {
    pattern: /\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g,
    replace: (m) => (m.includes(':') ? ' ip address port ' : ' ip address '),
  },
  { pattern: /\b[a-z][\w-]*(?:\.[\w-]+)*:\d{2,5}\b/gi, replace: () => ' host port ' },
  // A phone number as APIs take it (E.164, `+15551234567`) or as people write it.
  {
    pattern: /(?<=^|[\s(])\+\d[\d\s().-]{6,}\d\b|\(\d{3}\)\s?\d{3}-\d{4}\b/g,
    replace: () => ' phone number ',
  },
  // An ISO date (`2026-01-31`, with a time after it, if any).
  { pattern: /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?\S*)?\b/g, replace: () => ' date ' },
  {
    pattern: new RegExp(`(?:[\\w-]+/)*[\\w-]+\\.(?:${IMAGE_EXTENSIONS})\\b`, 'gi'),
    replace: (m) => ` image file ${named(withoutExtension(m))} `,
  },
  {
    pattern: new RegExp(`(?:[\\w./-]+/)?\\.?[\\w-]+\\.(?:${FILE_EXTENSIONS})\\b`, 'gi'),
    replace: (m) => ` file ${named(withoutExtension(m))} `,
  },
  {
    pattern: /\b(?:[a-z0-9-]+\.)+(?:com|org|net|io|dev|app|ai|co)\b(?:\/\S*)?/gi,
    replace: (m) => ` website url ${words(m)} `,
  },
  // Extensionless files every repository has, and dotfiles (.env, .gitignore).
  {
    pattern: new RegExp(`(?:^|(?<=[\\s/]))(?:${WELL_KNOWN_FILES})\\b`, 'g'),
    replace: (m) => ` file ${named(m)} `,
  },
  { pattern: /(?<=^|\s)\.[a-z][\w.-]*\b/gi, replace: (m) => ` file ${named(m)} ` },
  // A path of three or more segments, or one ending in a slash, is a directory.
  {
    pattern: /(?<=^|\s)(?:[\w.-]+\/){2,}[\w.-]*|(?<=^|\s)[\w.-]{2,}\/(?=[\s,.;:!?)]|$)/g,
    replace: (m) => ` directory path ${named(m)} `,
  },
  // owner/name: how code hosts, registries and model hubs name a repository.
  {
    pattern: /(?<=^|\s)[a-z][\w.-]*\/[a-z][\w-]*(?=[\s,;:!?)]|[.?!](?:\s|$)|$)/gi,
    replace: (m) => ` repository ${named(m)} `,
  },
  { pattern: /(^|\s)#[a-z][\w-]*/gi, replace: (m) => ` channel ${words(m)} ` },
  // `#123`: how trackers and code hosts number issues and pull requests; APIs take it as a number.
  { pattern: /(?<=^|[\s(])#\d+\b/g, replace: (m) => ` ${m} number ` },
  // A UUID is an id, whatever it names.
  {
    pattern: /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi,
    replace: () => ' id ',
  },
  // A name with a number in it (`cleanup-42`, `logs-2024`, `web_v2`): the name of a thing.
  {
    pattern:
      /(?<=^|\s)(?=[\w-]*\d)(?=[\w-]*[a-z])[a-z\d]+(?:[-_][a-z\d]+)+(?=[\s,;:!?)]|[.?!](?:\s|$)|$)/gi,
    replace: (m) => ` ${named(m)} `,
  },
  { pattern: /(^|\s)@[a-z][\w.-]*/gi, replace: () => ' user ' },
  {
    pattern: /\b(?:SELECT|INSERT|UPDATE|DELETE|WITH)\b[\s\S]*\b(?:FROM|INTO|SET|WHERE)\b/g,
    replace: (m) => ` sql query database ${named(m)} `,
  },
];

export function annotateEntities(query: string): string {
  let text = query;
  for (const rule of RULES) text = text.replace(rule.pattern, rule.replace);
  return text;
}
