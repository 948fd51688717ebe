import { z } from 'zod';

/**
 * The server file's pinning fields (docs/configuration.md "Tool catalog"):
 * `"toolPinning": "warn" | "hold"` and `"approvedToolsHash": "<sha256 hex>"`.
 */
export const toolPinningSchema = z.enum(['warn', 'hold'], { error: 'must be "warn" or "hold"' });

export const approvedToolsHashSchema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { error: 'must be a tool-set hash (64 lowercase hex digits)' });
