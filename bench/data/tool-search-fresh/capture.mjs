// Captures the tool catalog of the fresh tool-search evaluation set (see README.md beside this file).
//
// Usage (as root, from the repository root):
//   bash scripts/with-node.sh node bench/data/tool-search-fresh/capture.mjs [--dir /tmp/fresh-capture] [--install] [--only slug,slug]
//
// --install installs the pinned server packages and the MCP SDK client into --dir (outside the
// repository) with `npm install --prefix`. Each server is then started over stdio inside a network
// namespace without network (`unshare --net`), with dummy credentials where it needs some, and its
// tools/list pages are written to catalog.json beside this file. No server can reach the network.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const dir = opt('--dir', '/tmp/fresh-capture');
const only = opt('--only', '').split(',').filter(Boolean);
const SDK_VERSION = '1.24.3';

// slug -> package@version, bin name (undefined: the package's only bin), args, dummy env.
export const SERVERS = [
  { slug: 'git', pkg: '@cyanheads/git-mcp-server', version: '2.15.3', env: { GIT_BASE_DIR: '/tmp' } },
  { slug: 'amap', pkg: '@amap/amap-maps-mcp-server', version: '0.0.8', env: { AMAP_MAPS_API_KEY: 'dummy' } },
  { slug: 'baidu-map', pkg: '@baidumap/mcp-server-baidu-map', version: '1.0.5', env: { BAIDU_MAP_API_KEY: 'dummy' } },
  { slug: 'airtable', pkg: 'airtable-mcp-server', version: '1.14.0', env: { AIRTABLE_API_KEY: 'patDUMMY.dummy' } },
  { slug: 'asana', pkg: '@roychri/mcp-server-asana', version: '1.8.0', env: { ASANA_ACCESS_TOKEN: 'dummy' } },
  {
    slug: 'backlog',
    pkg: 'backlog-mcp-server',
    version: '0.20.4',
    env: { BACKLOG_DOMAIN: 'example.backlog.com', BACKLOG_API_KEY: 'dummy' },
  },
  { slug: 'chatwork', pkg: '@chatwork/mcp-server', version: '0.0.4', env: { CHATWORK_API_TOKEN: 'dummy' } },
  {
    slug: 'line-bot',
    pkg: '@line/line-bot-mcp-server',
    version: '0.5.0',
    env: { CHANNEL_ACCESS_TOKEN: 'dummy', DESTINATION_USER_ID: 'U00000000000000000000000000000000' },
  },
  { slug: 'duckduckgo', pkg: 'duckduckgo-mcp-server', version: '0.1.2', env: {} },
  { slug: 'searxng', pkg: 'mcp-searxng', version: '2.4.0', env: { SEARXNG_URL: 'http://127.0.0.1:9' } },
  { slug: 'open-meteo', pkg: 'open-meteo-mcp-server', version: '2.1.0', env: {} },
  {
    slug: 'datadog',
    pkg: '@winor30/mcp-server-datadog',
    version: '1.8.0',
    env: { DATADOG_API_KEY: 'dummy', DATADOG_APP_KEY: 'dummy' },
  },
  {
    slug: 'xero',
    pkg: '@xeroapi/xero-mcp-server',
    version: '0.0.17',
    env: { XERO_CLIENT_ID: 'dummy', XERO_CLIENT_SECRET: 'dummy' },
  },
  {
    slug: 'freee',
    pkg: 'freee-mcp',
    version: '0.35.2',
    bin: 'freee-mcp',
    env: { FREEE_CLIENT_ID: 'dummy', FREEE_CLIENT_SECRET: 'dummy' },
  },
  { slug: 'howtocook', pkg: 'howtocook-mcp', version: '0.2.2', env: {} },
  {
    slug: 'dbhub',
    pkg: '@bytebase/dbhub',
    version: '1.4.0',
    args: ['--transport', 'stdio', '--dsn', 'sqlite:///:memory:'],
    env: {},
  },
  { slug: 'hevy', pkg: 'hevy-mcp', version: '6.1.13', env: { HEVY_API_KEY: 'dummy', HEVY_MCP_TELEMETRY: 'false' } },
  {
    slug: 'launchdarkly',
    pkg: '@launchdarkly/mcp-server',
    version: '0.6.2',
    args: ['start', '--api-key', 'api-dummy'],
    env: {},
  },
  {
    slug: 'trello',
    pkg: '@delorenj/mcp-server-trello',
    version: '1.8.1',
    env: { TRELLO_API_KEY: 'dummy', TRELLO_TOKEN: 'dummy' },
  },
];

function install() {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'package.json'))) {
    writeFileSync(join(dir, 'package.json'), '{"name":"fresh-capture","private":true}\n');
  }
  const specs = SERVERS.map((s) => `${s.pkg}@${s.version}`);
  const flags = ['--ignore-scripts', '--no-audit', '--no-fund'];
  execFileSync('npm', ['install', '--prefix', dir, ...flags, ...specs], { stdio: 'inherit' });
  // The client gets its own prefix so that it does not change which SDK copy the servers resolve.
  const clientDir = join(dir, 'client');
  mkdirSync(clientDir, { recursive: true });
  if (!existsSync(join(clientDir, 'package.json'))) {
    writeFileSync(join(clientDir, 'package.json'), '{"name":"fresh-capture-client","private":true}\n');
  }
  execFileSync('npm', ['install', '--prefix', clientDir, ...flags, `@modelcontextprotocol/sdk@${SDK_VERSION}`], {
    stdio: 'inherit',
  });
}

function entryOf(server) {
  const pkgDir = join(dir, 'node_modules', server.pkg);
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  if (pkg.version !== server.version) {
    throw new Error(`${server.pkg}: installed ${pkg.version}, pinned ${server.version} (run with --install)`);
  }
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin[server.bin ?? Object.keys(pkg.bin)[0]];
  return { entry: join(pkgDir, bin), version: pkg.version };
}

async function main() {
  if (argv.includes('--install')) install();
  const requireClient = createRequire(join(dir, 'client', 'package.json'));
  const load = (p) => import(pathToFileURL(requireClient.resolve(p)).href);
  const { Client } = await load('@modelcontextprotocol/sdk/client/index.js');
  const { StdioClientTransport } = await load('@modelcontextprotocol/sdk/client/stdio.js');

  const catalogPath = join(here, 'catalog.json');
  const catalog = existsSync(catalogPath) && only.length ? JSON.parse(readFileSync(catalogPath, 'utf8')) : {};
  const summary = [];
  for (const server of SERVERS) {
    if (only.length && !only.includes(server.slug)) continue;
    const { entry, version } = entryOf(server);
    const transport = new StdioClientTransport({
      command: 'unshare',
      args: ['--net', '--', process.execPath, entry, ...(server.args ?? [])],
      env: { PATH: process.env.PATH, HOME: join(dir, 'home'), NODE_ENV: 'production', ...server.env },
      cwd: dir,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (d) => (stderr += d));
    const client = new Client({ name: 'fresh-capture', version: '1.0.0' });
    try {
      await client.connect(transport, { timeout: 60_000 });
      const tools = [];
      let cursor;
      do {
        const page = await client.listTools(cursor ? { cursor } : {}, { timeout: 60_000 });
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor);
      catalog[server.slug] = tools;
      summary.push({ slug: server.slug, pkg: server.pkg, version, tools: tools.length });
      console.log(`${server.slug}: ${server.pkg}@${version} ${tools.length} tools`);
    } catch (err) {
      console.log(`${server.slug}: FAILED ${err.message}\n${stderr.slice(-1500)}`);
    } finally {
      await client.close().catch(() => {});
    }
  }
  const ordered = Object.fromEntries(Object.keys(catalog).sort().map((k) => [k, catalog[k]]));
  writeFileSync(catalogPath, `${JSON.stringify(ordered, null, 2)}\n`);
  console.table(summary);
}

await main();
