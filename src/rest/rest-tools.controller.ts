import {
  applyDecorators,
  Body,
  Controller,
  Get,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { traceContextOf } from '../router/trace-context.js';
import { ClientAccessService } from '../auth/client-access.service.js';
import { ClientAuth, clientAccessOf } from '../auth/client-auth.guard.js';
import { InFlightRequests } from '../events/in-flight-requests.js';
import { DISCOVER_DEFAULT_LIMIT, DISCOVER_MAX_LIMIT } from '../router/meta-tools.js';
import { InvalidToolRequestError } from './rest.errors.js';
import {
  CALL_EVENT_STREAM_EXAMPLE,
  CALL_TOOL_RESULT_SCHEMA,
  DISCOVER_ANSWER_SCHEMA,
  PROBLEM_DESCRIPTIONS,
  PROBLEM_EXAMPLES,
  PROBLEM_SCHEMA,
  TOOL_DEFINITION_SCHEMA,
} from './rest-schemas.js';
import { RestQuotaGuard } from './rest-quota.guard.js';
import { RestToolsService } from './rest-tools.service.js';
import { disconnectSignal, ToolEventStream, wantsEventStream } from './tool-event-stream.js';
import { PROBLEM_MEDIA_TYPE, problemOf } from './tool-problems.js';
import { ToolsOpenApiService } from './tools-openapi.service.js';

/**
 * The REST tool routes (docs/rest.md): search, definitions and calls without MCP, under the
 * authentication, scopes and team rules of `/mcp`. Errors are RFC 9457 problems, written by the
 * app's filter (src/client-error.filter.ts). The call route takes the raw reply, as the MCP routes
 * do, because its streamed answer is written as it comes (docs/style.md §2).
 */
@ApiTags('tools')
@ApiBearerAuth()
@Controller('api/tools')
export class RestToolsController {
  constructor(
    private readonly tools: RestToolsService,
    private readonly openApi: ToolsOpenApiService,
    private readonly access: ClientAccessService,
    private readonly inFlight: InFlightRequests,
  ) {}

  @Get()
  @ClientAuth('tools')
  @ApiOperation({
    summary: 'Search tools (the search of discover_mcp_tools)',
    description:
      'Ranks the tools the caller may use for a few words of intent; `*` (or no query) lists them.',
  })
  @ApiQuery({
    name: 'query',
    required: false,
    description: 'What you want to do, in a few words; `*` (or none) lists tools',
    schema: { type: 'string', example: 'echo a message' },
  })
  @ApiQuery({
    name: 'server',
    required: false,
    description: 'Only the tools of this server (its slug)',
    schema: { type: 'string', example: 'everything' },
  })
  @ApiQuery({
    name: 'limit',
    required: false,
    schema: {
      type: 'integer',
      minimum: 1,
      maximum: DISCOVER_MAX_LIMIT,
      default: DISCOVER_DEFAULT_LIMIT,
    },
  })
  @ApiResponse({
    status: 200,
    description: 'The hits, best first',
    content: {
      'application/json': {
        schema: DISCOVER_ANSWER_SCHEMA,
        example: {
          tools: [
            {
              tool_path: 'everything-echo',
              server: 'everything',
              transport: 'stdio',
              description: 'Echoes back the input string',
              input_schema: {
                type: 'object',
                properties: { message: { type: 'string' } },
                required: ['message'],
              },
              score: 12.5,
            },
          ],
          total_found: 1,
          query: 'echo a message',
        },
      },
    },
  })
  @Problems(400, 401)
  search(
    @Req() req: FastifyRequest,
    @Query('query') query?: string,
    @Query('server') server?: string,
    @Query('limit') limit?: string,
  ) {
    return this.tools.find(
      {
        ...(query !== undefined ? { query } : {}),
        ...(server !== undefined ? { server } : {}),
        ...(limit !== undefined ? { limit } : {}),
      },
      clientAccessOf(req).caller,
    );
  }

  @Get('openapi.json')
  @ClientAuth('tools')
  @ApiOperation({
    summary: "The caller's tools as an OpenAPI 3.1 document",
    description:
      'One operation per tool the caller may call (`POST /api/tools/{tool_path}/call`, the input schema as its request body), for OpenAPI clients and agent frameworks.',
  })
  @ApiResponse({
    status: 200,
    description: 'An OpenAPI 3.1 document',
    content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } },
  })
  @Problems(401)
  openApiDocument(@Req() req: FastifyRequest) {
    const { caller } = clientAccessOf(req);
    return this.openApi.document({
      caller,
      tools: this.tools.visibleTools(caller),
      enforced: this.access.enforced,
    });
  }

  @Get(':tool_path')
  @ClientAuth('tools')
  @ApiOperation({ summary: "One tool's definition (input schema, output schema, annotations)" })
  @ApiParam({ name: 'tool_path', example: 'everything-echo' })
  @ApiResponse({
    status: 200,
    description: 'The tool',
    content: {
      'application/json': {
        schema: TOOL_DEFINITION_SCHEMA,
        example: {
          tool_path: 'everything-echo',
          server: 'everything',
          transport: 'stdio',
          name: 'echo',
          description: 'Echoes back the input string',
          input_schema: {
            type: 'object',
            properties: { message: { type: 'string', description: 'Message to echo' } },
            required: ['message'],
          },
        },
      },
    },
  })
  @Problems(401, 404)
  definition(@Req() req: FastifyRequest, @Param('tool_path') toolPath: string) {
    return this.tools.definition(toolPath, clientAccessOf(req).caller);
  }

  @Post(':tool_path/call')
  @ClientAuth('tools:call', RestQuotaGuard)
  @ApiOperation({
    summary: 'Call a tool: the body is its arguments',
    description:
      "The arguments are validated against the tool's input schema before the call (400 with `errors`). " +
      'With `Accept: text/event-stream` the answer is a stream of `progress` events and one `result` ' +
      '(or `error`) event; closing the connection cancels the call.',
  })
  @ApiParam({ name: 'tool_path', example: 'everything-echo' })
  @ApiBody({
    description: "The tool's arguments, an object matching its input schema",
    schema: { type: 'object', additionalProperties: true },
    examples: {
      echo: { summary: 'everything-echo', value: { message: 'hello' } },
      'long-running': {
        summary: 'everything-trigger-long-running-operation (stream it)',
        value: { duration: 3, steps: 3 },
      },
    },
  })
  @ApiResponse({
    status: 200,
    description: 'The tool result (`isError: true` when the tool reports a failure)',
    content: {
      'application/json': {
        schema: CALL_TOOL_RESULT_SCHEMA,
        example: { content: [{ type: 'text', text: 'Echo: hello' }] },
      },
      'text/event-stream': { schema: { type: 'string' }, example: CALL_EVENT_STREAM_EXAMPLE },
    },
  })
  @Problems(400, 401, 403, 404, 409, 415, 429, 502, 503, 504)
  async call(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param('tool_path') toolPath: string,
    @Body() body: unknown,
  ): Promise<void> {
    // A graceful shutdown waits for this call as for one on /mcp.
    this.inFlight.track(reply.raw);
    const args = argumentsOf(body, req.headers['content-type']);
    const signal = disconnectSignal(reply);
    // W3C trace context from the headers goes to the upstream, the audit and usage (docs/tasks.md).
    const trace = traceContextOf(undefined, req.headers);
    const call = {
      toolPath,
      args,
      caller: clientAccessOf(req).caller,
      signal,
      ...(trace ? { trace } : {}),
    };
    const stream = wantsEventStream(req.headers.accept) ? new ToolEventStream(reply) : undefined;
    try {
      const result = await this.tools.call(
        stream ? { ...call, onProgress: (p) => stream.progress(p) } : call,
      );
      if (stream) stream.result(result);
      else await reply.code(200).header('content-type', 'application/json').send(result);
    } catch (err) {
      // The client went away: the call was cancelled upstream, and there is nobody to answer.
      if (signal.aborted) return;
      // Before the first event the call still has its own status (the app's filter).
      if (!stream?.isOpen) throw err;
      stream.error(problemOf(err).problem);
    }
  }
}

/** The problem answers of a route, in the OpenAPI document. */
function Problems(...statuses: number[]): MethodDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: PROBLEM_DESCRIPTIONS[status],
        content: {
          [PROBLEM_MEDIA_TYPE]: { schema: PROBLEM_SCHEMA, example: PROBLEM_EXAMPLES[status] },
        },
      }),
    ),
  );
}

/**
 * The arguments of a call: a JSON object (no body: `{}`). A body the JSON parser refused arrives
 * as an object of its own class, whose message says why.
 */
function argumentsOf(body: unknown, contentType: string | undefined): Record<string, unknown> {
  if (body === undefined || body === null || body === '') {
    if (body === '' && contentType && !/^application\/json\b/i.test(contentType))
      throw new InvalidToolRequestError('the body must be application/json', 415);
    return {};
  }
  if (typeof body === 'string')
    throw new InvalidToolRequestError('the body must be application/json', 415);
  if (typeof body !== 'object' || Array.isArray(body))
    throw new InvalidToolRequestError("the body must be a JSON object: the tool's arguments");
  if (Object.getPrototypeOf(body) !== Object.prototype) {
    const why = (body as { message?: unknown }).message;
    throw new InvalidToolRequestError(
      `the body is not valid JSON${typeof why === 'string' ? `: ${why}` : ''}`,
    );
  }
  return body as Record<string, unknown>;
}
