import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * The status page (docs/operations.md "Status page"): one HTML file with its CSS and script
 * inline, no external asset, read once at start (`nest build` copies it beside this module,
 * nest-cli.json "assets"). It holds no data: its script fetches `/api/status/debug` and
 * `/api/usage` with the same credentials as any API client.
 */
export const STATUS_PAGE_HTML = readFileSync(
  new URL('./status-page.html', import.meta.url),
  'utf8',
);

/** `'sha256-…'` of each inline `<tag>` body: the only script and style the page may run. */
function hashesOf(tag: 'script' | 'style'): string {
  return [...STATUS_PAGE_HTML.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))]
    .map(
      (m) =>
        `'sha256-${createHash('sha256')
          .update(m[1] ?? '')
          .digest('base64')}'`,
    )
    .join(' ');
}

/**
 * Nothing but the page's own script and style, fetches to this origin, no framing (the token
 * form), no form posts, no base URL: even a rendering bug could not load or send anything else.
 */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${hashesOf('script')}`,
  `style-src ${hashesOf('style')}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
