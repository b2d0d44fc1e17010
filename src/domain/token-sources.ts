import { setTimeout as sleep } from 'node:timers/promises';

/** Produces a reply token by token; aborting the signal stops it between tokens. */
export type TokenSource = (prompt: string, signal: AbortSignal) => AsyncIterable<string>;

/** The built-in generator: echoes the prompt back one word every `intervalMs`. */
export function echoTokens(intervalMs: number): TokenSource {
  return async function* echo(prompt, signal) {
    const words = prompt.split(/\s+/).filter((w) => w !== '');
    for (const [i, word] of words.entries()) {
      await sleep(intervalMs, undefined, { signal });
      yield i === 0 ? word : ` ${word}`;
    }
  };
}
