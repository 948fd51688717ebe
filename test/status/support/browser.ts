import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Debian's `chromium` (scripts/test.sh installs it), never a downloaded browser. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** A headless Chromium with a fresh user-data directory, removed on close. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is not installed (Debian: chromium)`);
  const profile = mkdtempSync(join(tmpdir(), 'status-page-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      timeout: 60_000,
    });
    return {
      context,
      close: async () => {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}

/** Launches and closes Chromium once: undefined when it works, else why not. */
export async function probeBrowser(): Promise<string | undefined> {
  try {
    const browser = await launchBrowser();
    const page = await browser.context.newPage();
    await page.setContent('<p>probe</p>');
    await browser.close();
    return undefined;
  } catch (err) {
    return `Chromium cannot launch here: ${(err as Error).message.split('\n')[0]}`;
  }
}
