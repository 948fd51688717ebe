import { Injectable } from '@nestjs/common';
import { MCP_SCOPES } from '../auth/principal.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import type { CatalogEntry } from '../discovery/catalog-entry.js';
import type { CallerContext } from '../router/caller-context.js';
import {
  CALL_EVENT_STREAM_EXAMPLE,
  CALL_TOOL_RESULT_SCHEMA,
  PROBLEM_DESCRIPTIONS,
  PROBLEM_SCHEMA,
} from './rest-schemas.js';
import { REST_TOOLS_PREFIX } from './rest-tools.routes.js';
import { PROBLEM_MEDIA_TYPE } from './tool-problems.js';

type Json = Record<string, unknown>;

/** OpenAI-style function names: letters, digits, `_` and `-`, at most 64 characters. */
const OPERATION_ID = /[^A-Za-z0-9_-]/g;
const MAX_OPERATION_ID = 64;

/**
 * `GET /api/tools/openapi.json`: an OpenAPI 3.1 document with one operation per tool the caller
 * may call (`POST /api/tools/{tool_path}/call`, the tool's input schema as its request body), so
 * OpenAPI-speaking clients and agent frameworks can use the tools without MCP (docs/rest.md).
 * A caller without `mcp:tools:execute` may call none, and gets a document without operations.
 */
@Injectable()
export class ToolsOpenApiService {
  constructor(private readonly config: SatelliteConfig) {}

  document(opts: {
    caller: CallerContext;
    tools: readonly CatalogEntry[];
    enforced: boolean;
  }): Json {
    const { caller, enforced } = opts;
    const mayCall = !caller.scopes || caller.scopes.includes(MCP_SCOPES.execute);
    const tools = mayCall ? opts.tools : [];
    const paths: Json = {};
    const schemas: Json = {
      CallToolResult: CALL_TOOL_RESULT_SCHEMA,
      Problem: PROBLEM_SCHEMA,
    };
    const taken = new Set<string>();
    for (const entry of tools) {
      const operationId = uniqueId(entry.path, taken);
      const inputName = `${operationId}_input`;
      schemas[inputName] = embeddable(entry.tool.inputSchema, `#/components/schemas/${inputName}`);
      paths[`${REST_TOOLS_PREFIX}/${encodeURIComponent(entry.path)}/call`] = {
        post: operation(entry, operationId, inputName),
      };
    }
    return {
      openapi: '3.1.0',
      info: {
        title: 'DeployStack Satellite tools',
        version: this.config.version,
        description:
          'The MCP tools this caller may call, as REST operations: the request body is the ' +
          "tool's arguments, the answer its MCP result (`content`, `structuredContent`, `isError`). " +
          'Send `Accept: text/event-stream` to receive `progress` events before the `result`. ' +
          'Errors are RFC 9457 problems.' +
          (mayCall ? '' : ' This caller lacks the scope mcp:tools:execute and may call no tool.'),
      },
      servers: [{ url: this.config.auth.satelliteUrl }],
      paths,
      components: {
        schemas,
        responses: problemResponses(),
        ...(enforced ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } : {}),
      },
      ...(enforced ? { security: [{ bearer: [] }] } : {}),
    };
  }
}

function operation(entry: CatalogEntry, operationId: string, inputName: string): Json {
  const { tool } = entry;
  const errorStatuses = [400, 401, 403, 404, 409, 415, 429, 502, 503, 504];
  return {
    operationId,
    summary: tool.title ?? tool.annotations?.title ?? tool.name,
    ...(tool.description ? { description: tool.description } : {}),
    tags: [entry.serverSlug],
    requestBody: {
      required: true,
      content: { 'application/json': { schema: { $ref: `#/components/schemas/${inputName}` } } },
    },
    responses: {
      '200': {
        description: 'The tool result (`isError: true` when the tool reports a failure)',
        content: {
          'application/json': { schema: { $ref: '#/components/schemas/CallToolResult' } },
          'text/event-stream': {
            schema: { type: 'string' },
            example: CALL_EVENT_STREAM_EXAMPLE,
          },
        },
      },
      ...Object.fromEntries(
        errorStatuses.map((s) => [String(s), { $ref: `#/components/responses/Problem${s}` }]),
      ),
    },
  };
}

function problemResponses(): Json {
  return Object.fromEntries(
    Object.entries(PROBLEM_DESCRIPTIONS).map(([status, description]) => [
      `Problem${status}`,
      {
        description,
        content: { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
      },
    ]),
  );
}

function uniqueId(path: string, taken: Set<string>): string {
  const base = path.replace(OPERATION_ID, '_').slice(0, MAX_OPERATION_ID) || 'tool';
  let id = base;
  for (let n = 2; taken.has(id); n++) {
    const suffix = `_${n}`;
    id = `${base.slice(0, MAX_OPERATION_ID - suffix.length)}${suffix}`;
  }
  taken.add(id);
  return id;
}

/**
 * A tool's input schema as a component: its own `$id` left out, and its local references
 * (`#/$defs/…`, `#/definitions/…`) pointed at where it now lives in the document.
 */
function embeddable(schema: unknown, at: string): unknown {
  const rewrite = (node: unknown, root: boolean): unknown => {
    if (Array.isArray(node)) return node.map((n) => rewrite(n, false));
    if (!node || typeof node !== 'object') return node;
    const out: Json = {};
    for (const [key, value] of Object.entries(node as Json)) {
      if (root && key === '$id') continue;
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#'))
        out[key] = `${at}${value.slice(1)}`;
      else out[key] = rewrite(value, false);
    }
    return out;
  };
  return rewrite(schema, true);
}
