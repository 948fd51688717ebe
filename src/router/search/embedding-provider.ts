/**
 * What the semantic stage of tool search needs from an embedding model: one vector per text, in
 * order. Two implementations: an OpenAI-compatible endpoint (`EmbeddingClient`) and the local
 * model in a worker thread (`LocalEmbeddingProvider`), chosen by configuration (docs/search.md).
 * A failure rejects (with `EmbeddingError`), and the search answers lexically meanwhile.
 */
export interface EmbeddingProvider {
  /** The model's name, for logs. */
  readonly model: string;
  embed(texts: readonly string[]): Promise<number[][]>;
}

/** The model failed, timed out, is not installed, or answered something that is not embeddings. */
export class EmbeddingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbeddingError';
  }
}
