// Capture MCP `tools/list` from npm-installed MCP servers into extra-catalog.json.
//
// Not used at benchmark time. It documents how extra-catalog.json was produced.
//
// Setup (scratch dir, NOT the repo's node_modules; Node 24):
//   mkdir -p /tmp/extra-npm && cd /tmp/extra-npm && npm init -y && npm i @modelcontextprotocol/sdk
//   # each server package in its own sub-folder, so one failing install doesn't block the rest:
//   mkdir -p pk/<dir> && cd pk/<dir> && npm init -y && npm i <package>@<version>
//
// Run:
//   EXTRA_NPM_DIR=/tmp/extra-npm node capture.mjs extra-catalog.json      # the servers without `skip`
//   EXTRA_NPM_DIR=/tmp/extra-npm node capture.mjs /tmp/x.json redis puppeteer   # named servers only
//
// Every server is started over stdio with fake credentials and fake hosts (127.0.0.1),
// so nothing real is contacted. Each server gets 30 s; failures are reported and skipped.

import { mkdirSync, writeFileSync } from "node:fs";
import { resolve, join } from "node:path";
import { pathToFileURL } from "node:url";

const NPM = process.env.EXTRA_NPM_DIR || "/tmp/extra-npm";
const sdk = (p) => import(pathToFileURL(join(NPM, "node_modules/@modelcontextprotocol/sdk/dist/esm", p)).href);
const { Client } = await sdk("client/index.js");
const { StdioClientTransport } = await sdk("client/stdio.js");
const { z } = await import(pathToFileURL(join(NPM, "node_modules/zod/index.js")).href);
// Lenient result schema: some servers (gitlab) list a tool whose inputSchema lacks
// `"type": "object"`, which the SDK's strict listTools() rejects. We keep such tools verbatim.
const LooseListTools = z.object({ tools: z.array(z.any()), nextCursor: z.string().optional() }).passthrough();

const pkgMain = (dir, pkg, bin) => join(NPM, "pk", dir, "node_modules", pkg, bin);

// Fake home and a kubeconfig that points at a closed local port (the kubernetes server
// only needs a parsable config to list its tools).
mkdirSync("/tmp/extra-home", { recursive: true });
writeFileSync("/tmp/extra-home/kubeconfig", [
  "apiVersion: v1", "kind: Config",
  "clusters:", "- cluster: {server: \"https://127.0.0.1:9\"}", "  name: fake",
  "contexts:", "- context: {cluster: fake, user: fake}", "  name: fake",
  "current-context: fake",
  "users:", "- name: fake", "  user: {token: fake}", "",
].join("\n"));

// Common environment: no telemetry, no real hosts.
const BASE_ENV = {
  PATH: process.env.PATH,
  HOME: "/tmp/extra-home",
  DO_NOT_TRACK: "1",
  NODE_NO_WARNINGS: "1",
};

export const SERVERS = [
  {
    slug: "stripe", pkg: "@stripe/mcp", dir: "stripe025", bin: "dist/index.js", // 0.2.5: 0.3.x only proxies to mcp.stripe.com
    args: ["--tools=all", "--api-key=sk_test_fake"],
    env: { STRIPE_SECRET_KEY: "sk_test_fake" },
  },
  {
    slug: "kubernetes", pkg: "mcp-server-kubernetes", dir: "mcp-server-kubernetes", bin: "dist/index.js",
    env: { KUBECONFIG: "/tmp/extra-home/kubeconfig" },
  },
  {
    slug: "firecrawl", pkg: "firecrawl-mcp", dir: "firecrawl-mcp", bin: "dist/index.js",
    env: { FIRECRAWL_API_KEY: "fc-fake", FIRECRAWL_API_URL: "http://127.0.0.1:9" },
  },
  {
    slug: "exa", pkg: "exa-mcp-server", dir: "exa-mcp-server", bin: "dist/stdio.cjs",
    args: [], env: { EXA_API_KEY: "fake" },
  },
  {
    slug: "supabase", pkg: "@supabase/mcp-server-supabase", dir: "_supabase_mcp-server-supabase", bin: "dist/cli.js",
    // "docs" feature left out: it fetches the docs GraphQL schema from supabase.com at list time.
    args: ["--access-token=sbp_fake", "--api-url=http://127.0.0.1:9",
           "--features=account,database,debugging,development,functions,branching,storage"],
    env: { SUPABASE_ACCESS_TOKEN: "sbp_fake" },
  },
  {
    // Fake Atlas API credentials make the server also list its 22 atlas-* tools (27 without).
    slug: "mongodb", pkg: "mongodb-mcp-server", dir: "mongodb-mcp-server", bin: "dist/esm/index.js",
    args: ["--telemetry", "disabled"],
    env: { MDB_MCP_TELEMETRY: "disabled", MDB_MCP_API_CLIENT_ID: "fake", MDB_MCP_API_CLIENT_SECRET: "fake",
           MDB_MCP_API_BASE_URL: "http://127.0.0.1:9/", MDB_MCP_CONNECTION_STRING: "mongodb://127.0.0.1:9/" },
  },
  {
    slug: "elasticsearch", pkg: "@elastic/mcp-server-elasticsearch", dir: "_elastic_mcp-server-elasticsearch", bin: "dist/index.js",
    env: { ES_URL: "http://127.0.0.1:9", ES_API_KEY: "fake" },
  },
  {
    slug: "gitlab", pkg: "@modelcontextprotocol/server-gitlab", dir: "_modelcontextprotocol_server-gitlab", bin: "dist/index.js",
    env: { GITLAB_PERSONAL_ACCESS_TOKEN: "glpat-fake", GITLAB_API_URL: "http://127.0.0.1:9/api/v4" },
  },
  {
    slug: "redis", skip: "needs a live Redis connection before it answers tools/list", pkg: "@modelcontextprotocol/server-redis", dir: "_modelcontextprotocol_server-redis", bin: "dist/index.js",
    args: ["redis://127.0.0.1:9"],
  },
  {
    slug: "puppeteer", skip: "works (7 tools) but left out: browser automation overlaps the dev set's playwright, and the set is capped at 12 servers", pkg: "@modelcontextprotocol/server-puppeteer", dir: "_modelcontextprotocol_server-puppeteer", bin: "dist/index.js",
  },
  {
    slug: "hubspot", pkg: "@hubspot/mcp-server", dir: "_hubspot_mcp-server", bin: "dist/index.js",
    env: { PRIVATE_APP_ACCESS_TOKEN: "pat-fake" },
  },
  {
    slug: "upstash", skip: "calls api.upstash.com at startup and exits when that fails", pkg: "@upstash/mcp-server", dir: "_upstash_mcp-server", bin: "dist/index.js",
    args: ["--email", "fake@example.com", "--api-key", "fake"],
  },
  {
    slug: "twilio", pkg: "@twilio-alpha/mcp", dir: "_twilio-alpha_mcp", bin: "build/index.js",
    // The full 2010 API is hundreds of tools; load the messaging / voice / numbers tags only.
    args: ["AC00000000000000000000000000000000/SK00000000000000000000000000000000:fake",
           "--tags", "Api20100401Message,Api20100401Call,Api20100401IncomingPhoneNumber,Api20100401Recording"],
  },
  {
    slug: "heroku", skip: "crashes on start: imports @modelcontextprotocol/sdk/dist/esm/server/mcp without .js", pkg: "@heroku/mcp-server", dir: "_heroku_mcp-server", bin: "bin/heroku-mcp-server.mjs",
    env: { HEROKU_API_KEY: "fake" },
  },
  {
    slug: "shopify-dev", pkg: "@shopify/dev-mcp", dir: "_shopify_dev-mcp", bin: "dist/index.js",
    env: { OPT_OUT_INSTRUMENTATION: "true" },
  },
  {
    slug: "neon", pkg: "@neondatabase/mcp-server-neon", dir: "neon037", bin: "dist/index.js", // 0.6.x needs a GitHub tarball
    args: ["start", "napi_fake"],
  },
  {
    slug: "railway", skip: "deprecated on npm; exits telling you to use the Railway CLI", pkg: "@railway/mcp-server", dir: "_railway_mcp-server", bin: "index.js",
  },
];

async function capture(s) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [pkgMain(s.dir, s.pkg, s.bin), ...(s.args || [])],
    env: { ...BASE_ENV, ...(s.env || {}) },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (d) => { stderr += d; });
  const client = new Client({ name: "tool-search-extra-capture", version: "0.0.1" });
  const work = (async () => {
    await client.connect(transport);
    const tools = [];
    let cursor;
    do {
      const params = cursor ? { cursor } : {};
      let res;
      try {
        res = await client.listTools(params);
      } catch (e) {
        if (!/expected|invalid/i.test(e.message)) throw e;
        res = await client.request({ method: "tools/list", params }, LooseListTools);
      }
      tools.push(...res.tools);
      cursor = res.nextCursor;
    } while (cursor);
    return tools;
  })();
  let timer;
  const timeout = new Promise((_, rej) => { timer = setTimeout(() => rej(new Error("timeout 30s")), 30_000); });
  try {
    return await Promise.race([work, timeout]);
  } catch (e) {
    e.message += `\n  stderr: ${stderr.slice(-600)}`;
    throw e;
  } finally {
    clearTimeout(timer);
    await client.close().catch(() => {});
  }
}

// Keep exactly what tools/list returns for each tool: name, title (if any), description, inputSchema.
const keep = (t) => {
  const o = { name: t.name };
  if (t.title !== undefined) o.title = t.title;
  o.description = t.description ?? "";
  o.inputSchema = t.inputSchema;
  return o;
};

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = resolve(process.argv[2] || "/tmp/extra-capture.json");
  const only = process.argv.slice(3);
  const catalog = {};
  for (const s of SERVERS) {
    if (only.length) { if (!only.includes(s.slug)) continue; }
    else if (s.skip) { console.log(`${s.slug}\t${s.pkg}\tskipped: ${s.skip}`); continue; }
    try {
      const tools = await capture(s);
      catalog[s.slug] = tools.map(keep);
      console.log(`${s.slug}\t${s.pkg}\t${tools.length} tools`);
    } catch (e) {
      console.log(`${s.slug}\t${s.pkg}\tFAILED: ${e.message}`);
    }
  }
  writeFileSync(out, JSON.stringify(catalog, null, 2) + "\n");
  console.log(`wrote ${out}`);
  process.exit(0);
}
