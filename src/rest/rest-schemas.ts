import { DISCOVER_MAX_LIMIT } from '../router/meta-tools.js';
import { PROBLEM_TYPE_PREFIX } from './tool-problems.js';

/**
 * JSON Schemas of the REST tool answers, for the OpenAPI documents (`/documentation` and the
 * per-caller `GET /api/tools/openapi.json`). Written in the subset OpenAPI 3.0 and 3.1 share.
 */
type Schema = Record<string, unknown>;

const object = (properties: Schema, required: string[], extra: Schema = {}): Schema => ({
  type: 'object',
  properties,
  required,
  ...extra,
});

export const INPUT_SCHEMA_SCHEMA: Schema = {
  type: 'object',
  description: "The tool's input schema (JSON Schema), as its server declares it",
  additionalProperties: true,
};

export const DISCOVERED_TOOL_SCHEMA: Schema = object(
  {
    tool_path: { type: 'string', example: 'everything-echo' },
    server: { type: 'string', description: 'The server slug', example: 'everything' },
    transport: { type: 'string', enum: ['stdio', 'http', 'sse'] },
    description: { type: 'string', example: 'Echoes back the input' },
    input_schema: INPUT_SCHEMA_SCHEMA,
    score: { type: 'number', description: 'Higher is better; comparable within one answer' },
  },
  ['tool_path', 'server', 'transport', 'description', 'input_schema', 'score'],
);

export const DISCOVER_ANSWER_SCHEMA: Schema = object(
  {
    tools: { type: 'array', items: DISCOVERED_TOOL_SCHEMA, maxItems: DISCOVER_MAX_LIMIT },
    total_found: { type: 'integer', minimum: 0 },
    query: { type: 'string' },
  },
  ['tools', 'total_found', 'query'],
);

export const TOOL_DEFINITION_SCHEMA: Schema = object(
  {
    tool_path: { type: 'string', example: 'everything-echo' },
    server: { type: 'string', example: 'everything' },
    transport: { type: 'string', enum: ['stdio', 'http', 'sse'] },
    name: { type: 'string', example: 'echo' },
    title: { type: 'string' },
    description: { type: 'string' },
    input_schema: INPUT_SCHEMA_SCHEMA,
    output_schema: { type: 'object', additionalProperties: true },
    annotations: { type: 'object', additionalProperties: true },
  },
  ['tool_path', 'server', 'transport', 'name', 'description', 'input_schema'],
);

export const CALL_TOOL_RESULT_SCHEMA: Schema = object(
  {
    content: {
      type: 'array',
      description: 'MCP content blocks (text, image, audio, resource_link, resource)',
      items: object({ type: { type: 'string', example: 'text' } }, ['type'], {
        additionalProperties: true,
      }),
    },
    structuredContent: {
      type: 'object',
      additionalProperties: true,
      description: "Structured result, matching the tool's output schema when it has one",
    },
    isError: {
      type: 'boolean',
      description: 'True when the tool itself reports a failure (the call went through)',
    },
  },
  ['content'],
  { additionalProperties: true },
);

export const PROBLEM_SCHEMA: Schema = object(
  {
    type: {
      type: 'string',
      description: `A problem type (\`${PROBLEM_TYPE_PREFIX}…\`, or \`about:blank\`)`,
    },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      description: 'invalid-arguments: how the arguments miss the input schema',
      items: object(
        {
          pointer: { type: 'string', description: 'JSON Pointer into the arguments' },
          keyword: { type: 'string' },
          message: { type: 'string' },
          params: { type: 'object', additionalProperties: true },
        },
        ['pointer', 'keyword', 'message'],
      ),
    },
    suggestions: {
      type: 'array',
      items: { type: 'string' },
      description: 'unknown-tool: the closest tool paths',
    },
  },
  ['type', 'title', 'status', 'detail'],
  { additionalProperties: true, description: 'RFC 9457 problem details' },
);

export const CALL_EVENT_STREAM_EXAMPLE =
  'event: progress\ndata: {"progress":1,"total":3}\n\n' +
  'event: progress\ndata: {"progress":2,"total":3}\n\n' +
  'event: result\ndata: {"content":[{"type":"text","text":"Long running operation completed."}]}\n\n';

export const PROBLEM_EXAMPLES: Record<number, Schema> = {
  400: {
    type: `${PROBLEM_TYPE_PREFIX}invalid-arguments`,
    title: 'The arguments do not match the tool input schema',
    status: 400,
    detail:
      "the arguments do not match the input schema of everything-echo: /message must have required property 'message'",
    tool_path: 'everything-echo',
    errors: [
      {
        pointer: '/message',
        keyword: 'required',
        message: "must have required property 'message'",
        params: { missingProperty: 'message' },
      },
    ],
  },
  401: {
    type: `${PROBLEM_TYPE_PREFIX}unauthorized`,
    title: 'Unauthorized',
    status: 401,
    detail: 'this endpoint needs an OAuth bearer token (Authorization: Bearer …)',
    error: 'unauthorized',
  },
  403: {
    type: `${PROBLEM_TYPE_PREFIX}insufficient-scope`,
    title: 'Forbidden',
    status: 403,
    detail: 'this request needs the scope mcp:tools:execute',
    error: 'insufficient_scope',
  },
  404: {
    type: `${PROBLEM_TYPE_PREFIX}unknown-tool`,
    title: 'Unknown tool',
    status: 404,
    detail:
      'Unknown tool path "everything-ecoh". Closest matches: everything-echo. Use discover_mcp_tools to find the right tool_path.',
    tool_path: 'everything-ecoh',
    suggestions: ['everything-echo'],
  },
  409: {
    type: `${PROBLEM_TYPE_PREFIX}server-disabled`,
    title: 'The tool server is disabled',
    status: 409,
    detail: 'Server "everything" is unavailable: …',
    tool_path: 'everything-echo',
    server: 'everything',
    state: 'disabled',
  },
  415: {
    type: `${PROBLEM_TYPE_PREFIX}unsupported-media-type`,
    title: 'Unsupported media type',
    status: 415,
    detail: 'the body must be application/json',
  },
  429: {
    type: `${PROBLEM_TYPE_PREFIX}quota-exceeded`,
    title: 'Too many requests',
    status: 429,
    detail: 'Too Many Requests: too many tool calls (at most 120 per minute per principal)',
    limit: 'rate',
  },
  502: {
    type: `${PROBLEM_TYPE_PREFIX}upstream-failure`,
    title: 'The tool server failed',
    status: 502,
    detail: 'Server "everything" closed the connection during the call (it may have crashed).',
    tool_path: 'everything-echo',
    server: 'everything',
  },
  503: {
    type: `${PROBLEM_TYPE_PREFIX}server-unavailable`,
    title: 'The tool server is not available',
    status: 503,
    detail: 'Server "everything" is unavailable: the server is starting. Try again later.',
    tool_path: 'everything-echo',
    server: 'everything',
    state: 'starting',
  },
  504: {
    type: `${PROBLEM_TYPE_PREFIX}upstream-timeout`,
    title: 'The tool call timed out',
    status: 504,
    detail: 'Tool everything-echo timed out after 60000 ms on server "everything".',
    tool_path: 'everything-echo',
    server: 'everything',
    timeout_ms: 60000,
  },
};

export const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request: the arguments miss the input schema (`errors`), or a bad query or body',
  401: 'No or an invalid bearer token (`WWW-Authenticate` says how to get one)',
  403: 'The token lacks the scope `mcp:tools:execute` (`WWW-Authenticate` names it)',
  404: 'Unknown tool path, or a tool of a server the caller may not use (`suggestions`)',
  409: 'The tool server is disabled in the configuration',
  415: 'The body is not `application/json`',
  429: 'Past the per-principal call quota (`Retry-After`)',
  502: 'The tool server failed or answered with an error',
  503: 'The tool server is not available now (`Retry-After` when it is starting)',
  504: "The call exceeded the server's timeout",
};
