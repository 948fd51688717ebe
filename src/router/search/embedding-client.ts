import { EmbeddingError, type EmbeddingProvider } from './embedding-provider.js';

/** Settings of an OpenAI-compatible embeddings endpoint (OpenAI, Azure, Ollama, vLLM, LM Studio, TEI…). */
export interface EmbeddingClientOptions {
  /** Base URL (`http://127.0.0.1:11434/v1`) or the full `/embeddings` URL. */
  readonly url: string;
  readonly model: string;
  readonly apiKey?: string;
  /** Per request; a slow endpoint must not hold a search for long. Default 2000 ms. */
  readonly timeoutMs?: number;
  /** Texts per request. Default 128. */
  readonly batchSize?: number;
  /** The HTTP client (defaults to global fetch); injectable so callers control the side effect. */
  readonly fetch?: typeof fetch;
}

interface EmbeddingsResponse {
  data?: Array<{ embedding?: unknown; index?: unknown }>;
}

/** POST /embeddings `{ model, input: string[] }` → one vector per input, in input order. */
export class EmbeddingClient implements EmbeddingProvider {
  private readonly endpoint: string;
  private readonly options: EmbeddingClientOptions;

  constructor(options: EmbeddingClientOptions) {
    this.options = options;
    const base = options.url.replace(/\/+$/, '');
    this.endpoint = base.endsWith('/embeddings') ? base : `${base}/embeddings`;
  }

  get model(): string {
    return this.options.model;
  }

  async embed(texts: readonly string[]): Promise<number[][]> {
    const size = this.options.batchSize ?? 128;
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += size)
      out.push(...(await this.request(texts.slice(i, i + size))));
    return out;
  }

  private async request(input: readonly string[]): Promise<number[][]> {
    const doFetch = this.options.fetch ?? fetch;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.options.apiKey) headers['authorization'] = `Bearer ${this.options.apiKey}`;
    let response: Response;
    try {
      response = await doFetch(this.endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: this.options.model, input }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 2000),
      });
    } catch (err) {
      throw new EmbeddingError(`embeddings request failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (!response.ok) {
      throw new EmbeddingError(`embeddings endpoint answered HTTP ${response.status}`);
    }
    const body = (await response.json().catch(() => ({}))) as EmbeddingsResponse;
    const data = Array.isArray(body.data) ? body.data : [];
    if (data.length !== input.length) {
      throw new EmbeddingError(
        `embeddings endpoint returned ${data.length} vectors for ${input.length} inputs`,
      );
    }
    // OpenAI returns `index` per item; order by it when present.
    const ordered = data.every((d) => typeof d.index === 'number')
      ? [...data].sort((a, b) => (a.index as number) - (b.index as number))
      : data;
    return ordered.map((d) => {
      if (!Array.isArray(d.embedding) || !d.embedding.every((x) => typeof x === 'number')) {
        throw new EmbeddingError(
          'embeddings endpoint returned a vector that is not a list of numbers',
        );
      }
      return d.embedding;
    });
  }
}
