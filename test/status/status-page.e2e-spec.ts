// Invariant: GET /status of the built satellite is a self-contained page that shows the configured
// servers and their processes, refreshes itself without a reload, renders every name, reason and
// error as text (never as HTML), runs without console errors, and needs the API's token to show data.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ConsoleMessage, Page } from 'playwright-core';
import { spawnSatellite, type SatelliteProcess } from '../support/satellite-process.js';
import { connectClient } from '../support/satellite.js';
import { EVERYTHING, MEMORY, ROOT, stdioEntry } from '../support/upstreams.js';
import { writeTokensFile } from '../security/support.js';
import { type Browser, launchBrowser, probeBrowser } from './support/browser.js';

const reason = await probeBrowser();
if (reason) console.warn(`skipped: status page browser tests: ${reason}`);
const describeBrowser = reason ? describe.skip : describe;

const HOSTILE = '<img src=x onerror="window.__pwned=1">';
/** A stdio server that fails at once, with HTML in the stderr its failure reason quotes. */
const FAILING = {
  command: process.execPath,
  args: ['-e', `console.error(${JSON.stringify(HOSTILE)}); process.exit(3)`],
};

function satelliteEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    DEPLOYSTACK_MCP_CONFIG: join(dir, 'mcp.json'),
    DEPLOYSTACK_DATA_DIR: join(dir, 'data'),
    DEPLOYSTACK_SANDBOX: 'none',
    DEPLOYSTACK_STATUS_SHOW_MCP_DEBUG_ROUTE: 'true',
    DEPLOYSTACK_PROCESS_PING_INTERVAL_MS: '1000',
    ...extra,
  };
}

const writeConfig = (dir: string, servers: Record<string, unknown>) =>
  writeFileSync(join(dir, 'mcp.json'), JSON.stringify({ mcpServers: servers }, null, 2));

/** Console errors and uncaught exceptions of a page (a missing /api/usage is not one: see below). */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() !== 'error') return;
    // The network layer reports the 404 of an optional endpoint the page checks for (GET
    // /api/usage, not on every satellite): not a script error.
    if (/\/api\/usage$/.test(msg.location().url) && /status of 404/.test(msg.text())) return;
    errors.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  return errors;
}

/** Waits until the element's text matches (the page re-renders each refresh). */
const waitText = (page: Page, selector: string, text: RegExp, timeout = 30_000) =>
  page.locator(selector).filter({ hasText: text }).first().waitFor({ timeout });

const stateOf = (page: Page, slug: string) =>
  page.locator(`tr[data-server="${slug}"] td.state`).textContent({ timeout: 30_000 });

describeBrowser(`status page in Chromium${reason ? ` [${reason}]` : ''}`, () => {
  let browser: Browser;
  let sat: SatelliteProcess;
  let dir: string;

  beforeAll(async () => {
    browser = await launchBrowser();
    dir = mkdtempSync(join(tmpdir(), 'status-page-'));
    writeConfig(dir, {
      memory: stdioEntry(MEMORY, [], { env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') } }),
      everything: stdioEntry(EVERYTHING, ['stdio']),
      broken: FAILING,
    });
    sat = await spawnSatellite(satelliteEnv(dir));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    sat?.child.kill('SIGTERM');
    await sat?.exited;
  }, 60_000);

  it('renders the servers and their processes, quotes a hostile reason as text, updates when a server changes, with no console errors', async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    const res = await page.goto(`${sat.base}/status?refresh=1000`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toMatch(/script-src 'sha256-/);

    expect((await stateOf(page, 'memory'))?.trim()).toBe('online');
    expect((await stateOf(page, 'everything'))?.trim()).toBe('online');
    // CPU and memory arrive with the first samples of the running processes.
    await waitText(page, 'tr[data-process="memory"] td.memory', /^\d+(\.\d)? MiB$/);
    await waitText(page, 'tr[data-process="memory"] td.cpu', /^\d+\.\d$/);
    expect(await page.locator('#no-usage').textContent()).toBe('no usage data yet');
    // No server carries instances or a breaker here: no such section.
    expect(await page.getByText('Instances and circuit breakers').count()).toBe(0);
    // The same figures on /metrics, one series per running stdio server.
    const metrics = await (await fetch(`${sat.base}/metrics`)).text();
    const memory = /^satellite_server_memory_bytes\{server="memory"\} (\d+)$/m.exec(metrics);
    expect(Number(memory?.[1])).toBeGreaterThan(5 * 1024 * 1024);
    expect(metrics).toMatch(/^satellite_server_responsive\{server="everything"\} 1$/m);
    expect(metrics).not.toMatch(/^satellite_server_memory_bytes\{server="broken"\}/m);

    // The failing server's reason quotes its stderr: shown as text, never parsed as HTML.
    await page.getByText(HOSTILE).first().waitFor({ timeout: 30_000 });
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();

    // A change of a server's state shows up without a reload.
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    writeConfig(dir, {
      memory: stdioEntry(MEMORY, [], {
        env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') },
        enabled: false,
      }),
      everything: stdioEntry(EVERYTHING, ['stdio']),
      broken: FAILING,
    });
    await waitText(page, 'tr[data-server="memory"] td.state', /^disabled$/, 60_000);
    expect(navigations).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 150_000);

  it('a server named like HTML, instances, a breaker and usage figures: all rendered as text', async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    // The server file refuses such a slug, but names from a backend or another module's fields
    // reach the page too: the debug answer is rewritten in flight to carry them, and /api/usage
    // (another module's route) answers with figures.
    await page.route('**/api/status/debug', async (route) => {
      const real = await route.fetch();
      const body = (await real.json()) as { teams: Record<string, Record<string, unknown[]>> };
      const first = body.teams.default.stdio[0] as Record<string, unknown>;
      body.teams.default.stdio.push({
        ...first,
        slug: HOSTILE,
        state_reason: `</td><script>window.__pwned=2</script>`,
        instances: [{ id: HOSTILE, state: 'busy' }],
        breaker: { state: 'open', failures: 5, last_error: HOSTILE },
      });
      await route.fulfill({ response: real, json: body });
    });
    await page.route('**/api/usage', (route) =>
      route.fulfill({
        json: {
          since: '2026-12-06T00:00:00Z',
          until: '2026-12-06T01:00:00Z',
          tools: [
            {
              tool_path: `${HOSTILE}:echo`,
              server: HOSTILE,
              calls: 42,
              errors: 1,
              p50_ms: 3,
              p95_ms: 9,
              bytes_returned: 100,
              tokens_returned: 30,
            },
            {
              tool_path: 'everything:sleep',
              server: 'everything',
              calls: 2,
              errors: 0,
              p50_ms: 900,
              p95_ms: 1500,
              bytes_returned: 10,
              tokens_returned: 4,
            },
          ],
          servers: [],
          teams: [],
          clients: [],
          tokens_saved: { sessions: 3, tokens: 12345 },
        },
      }),
    );
    await page.goto(`${sat.base}/status?refresh=1000`);
    await page.locator('tr[data-pool]').first().waitFor({ timeout: 30_000 });

    const text = (await page.locator('body').textContent()) ?? '';
    expect(text).toContain(HOSTILE);
    expect(text).toContain('</td><script>window.__pwned=2</script>');
    expect(await page.locator(`tr[data-server='${HOSTILE}']`).count()).toBe(1);
    expect(await page.locator('tr[data-pool] .badge').first().textContent()).toBe('open');
    expect(await page.locator('#tokens-saved').textContent()).toBe(
      'Tokens saved: 12345 over 3 sessions',
    );
    // Busiest first: the 42-call tool; slowest first: the 1500 ms one.
    const firstCells = await page
      .locator('.grid table tbody tr:first-child td:first-child')
      .allTextContents();
    expect(firstCells).toEqual([`${HOSTILE}:echo`, 'everything:sleep']);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(1);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(errors).toEqual([]);
    // Handlers still running for a refresh in flight would fail after the close.
    await page.unrouteAll({ behavior: 'wait' });
    await page.close();
  }, 90_000);
});

describeBrowser(`status page with bearer tokens${reason ? ` [${reason}]` : ''}`, () => {
  const TOKEN = 'status-page-token-0123456789';
  let browser: Browser;
  let sat: SatelliteProcess;

  beforeAll(async () => {
    browser = await launchBrowser();
    const dir = mkdtempSync(join(tmpdir(), 'status-page-auth-'));
    writeConfig(dir, { everything: stdioEntry(EVERYTHING, ['stdio']) });
    writeTokensFile(join(dir, 'tokens.json'), [{ token: TOKEN, principal: 'ops' }]);
    sat = await spawnSatellite(
      satelliteEnv(dir, {
        DEPLOYSTACK_AUTH: 'tokens',
        DEPLOYSTACK_AUTH_TOKENS_FILE: join(dir, 'tokens.json'),
      }),
    );
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    sat?.child.kill('SIGTERM');
    await sat?.exited;
  }, 60_000);

  it('the page loads without a token, asks for one, and shows the servers with it; the data route stays 401 without', async () => {
    expect((await fetch(`${sat.base}/api/status/debug`)).status).toBe(401);
    const page = await browser.context.newPage();
    await page.goto(`${sat.base}/status?refresh=1000`);
    await page.locator('#auth').waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.locator('tr[data-server]').count()).toBe(0);

    await page.fill('#token', TOKEN);
    await page.click('#auth button[type=submit]');
    expect((await stateOf(page, 'everything'))?.trim()).toBe('online');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(1);

    // Forgetting the token empties the page, and the next refresh asks again.
    await page.click('#forget');
    await page.locator('#auth').waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.locator('tr[data-server]').count()).toBe(0);
    await page.close();
  }, 90_000);
});

describeBrowser(`status page screenshot${reason ? ` [${reason}]` : ''}`, () => {
  let browser: Browser;
  let sat: SatelliteProcess;
  let dir: string;

  beforeAll(async () => {
    browser = await launchBrowser();
    dir = mkdtempSync(join(tmpdir(), 'status-page-demo-'));
    // The demo configuration itself (`npm start` runs it).
    sat = await spawnSatellite({
      ...satelliteEnv(dir),
      DEPLOYSTACK_MCP_CONFIG: resolve(ROOT, 'config', 'mcp-servers.demo.json'),
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    sat?.child.kill('SIGTERM');
    await sat?.exited;
  }, 60_000);

  it('of the demo configuration (written to docs/images/status-page.png with UPDATE_SCREENSHOT=1)', async () => {
    // Some traffic, so that call latencies show.
    const client = await connectClient(`${sat.base}/mcp`);
    for (const message of ['hello', 'world'])
      await client.callTool({
        name: 'execute_mcp_tool',
        arguments: { tool_path: 'everything:echo', arguments: { message } },
      });
    await client.close();
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${sat.base}/status?refresh=1000`);
    await waitText(page, 'tr[data-process="everything"] td.cpu', /^\d+\.\d$/);
    await waitText(page, 'tr[data-process="memory"] td.cpu', /^\d+\.\d$/);
    const out =
      process.env.UPDATE_SCREENSHOT === '1'
        ? resolve(ROOT, 'docs', 'images', 'status-page.png')
        : join(dir, 'status-page.png');
    const png = await page.screenshot({ path: out, fullPage: true });
    expect(png.length).toBeGreaterThan(10_000);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);
});
