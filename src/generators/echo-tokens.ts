import { setTimeout as sleep } from 'node:timers/promises';
import type { TokenSource } from '../domain/token-sources.ts';

/** The built-in generator (the demo's): echoes the prompt back one word every `intervalMs`. */
export function echoTokens(intervalMs: number): TokenSource {
  return async function* echo({ prompt }, signal) {
    const words = prompt.split(/\s+/).filter((w) => w !== '');
    for (const [i, word] of words.entries()) {
      await sleep(intervalMs, undefined, { signal });
      yield i === 0 ? word : ` ${word}`;
    }
  };
}
