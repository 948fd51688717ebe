import { validate, compileErrors } from '@readme/openapi-parser';

/** A JSON answer with its status, headers and parsed body. */
export interface JsonAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

export async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<JsonAnswer> {
  const res = await fetch(url, { headers });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as Record<string, unknown>,
  };
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<JsonAnswer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as Record<string, unknown>,
  };
}

/** One server-sent event. */
export interface SseEvent {
  readonly event: string;
  readonly data: unknown;
}

/**
 * Reads SSE events from a fetch response as they arrive; `onEvent` returning true stops reading
 * (and aborts the request through `abort`, when given).
 */
export async function readEvents(
  res: Response,
  onEvent: (e: SseEvent) => boolean | void = () => undefined,
): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return events;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      const e = { event, data: JSON.parse(data.join('\n')) as unknown };
      events.push(e);
      if (onEvent(e) === true) {
        await reader.cancel();
        return events;
      }
    }
  }
}

/** Validates an OpenAPI document with a maintained validator; throws with its findings. */
export async function expectValidOpenApi(doc: unknown): Promise<void> {
  const result = await validate(structuredClone(doc) as never, {
    resolve: { external: false },
  });
  if (!result.valid) throw new Error(`invalid OpenAPI document:\n${compileErrors(result)}`);
}
