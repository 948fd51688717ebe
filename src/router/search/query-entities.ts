/**
 * Things in a query that say what kind of object it is about, though no tool shares their words:
 * a URL means a web page, `report.pdf` a file, `diagram.png` an image, `#general` a channel,
 * `SELECT … FROM` SQL. Each is replaced by its kind plus the words worth keeping (host labels,
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
  {
    pattern: new RegExp(`(?:[\\w-]+/)*[\\w-]+\\.(?:${IMAGE_EXTENSIONS})\\b`, 'gi'),
    replace: (m) => ` image file ${words(m)} `,
  },
  {
    pattern: new RegExp(`(?:[\\w./-]+/)?\\.?[\\w-]+\\.(?:${FILE_EXTENSIONS})\\b`, 'gi'),
    replace: (m) => ` file ${words(m)} `,
  },
  {
    pattern: /\b(?:[a-z0-9-]+\.)+(?:com|org|net|io|dev|app|ai|co)\b(?:\/\S*)?/gi,
    replace: (m) => ` website url ${words(m)} `,
  },
  { pattern: /(^|\s)#[a-z][\w-]*/gi, replace: (m) => ` channel ${words(m)} ` },
  { pattern: /(^|\s)@[a-z][\w.-]*/gi, replace: () => ' user ' },
  {
    pattern: /\b(?:SELECT|INSERT|UPDATE|DELETE|WITH)\b[\s\S]*\b(?:FROM|INTO|SET|WHERE)\b/g,
    replace: (m) => ` sql query database ${m} `,
  },
];

export function annotateEntities(query: string): string {
  let text = query;
  for (const rule of RULES) text = text.replace(rule.pattern, rule.replace);
  return text;
}
