import type { MessageRole } from '../data/tables.ts';

/** One earlier message of the thread, as a generator sees it. */
export interface Turn {
  role: MessageRole;
  content: string;
}

/** What a stream asks its generator for: a reply to `prompt`, after `history`. */
export interface Generation {
  prompt: string;
  /** The thread's messages before the prompt, oldest first (the newest CONTEXT_MESSAGES of them). */
  history: readonly Turn[];
}

/**
 * Produces a reply token by token. Aborting the signal stops it (between tokens, or by
 * closing an upstream request); any other end than the last token is an error whose
 * message becomes the FAILED event's reason.
 */
export type TokenSource = (generation: Generation, signal: AbortSignal) => AsyncIterable<string>;

/** How many of the thread's earlier messages a generation is given. */
export const CONTEXT_MESSAGES = 50;
