/** Where the REST tool routes live (docs/rest.md). */
export const REST_TOOLS_PREFIX = '/api/tools';

/** True for a URL of the REST tool routes (with or without a query). */
export function isRestToolsUrl(url: string | undefined): boolean {
  if (!url?.startsWith(REST_TOOLS_PREFIX)) return false;
  const next = url.charAt(REST_TOOLS_PREFIX.length);
  return next === '' || next === '/' || next === '?';
}
