import { once } from 'node:events';

/**
 * Writes every chunk to `out`, waiting for 'drain' whenever it is full, so that a slow
 * reader (a pipe, a slow disk) slows the producer instead of filling memory. A closed pipe
 * (`| head`) fails the write: the chunks are then closed and the error thrown.
 */
export async function writeChunks(out: NodeJS.WritableStream, chunks: AsyncIterable<string>): Promise<void> {
  let failure: Error | undefined;
  const failed = (error: Error) => {
    failure = error;
  };
  out.on('error', failed);
  try {
    for await (const chunk of chunks) {
      if (failure) throw failure;
      if (!out.write(chunk)) await Promise.race([once(out, 'drain'), once(out, 'error')]);
    }
    if (failure) throw failure;
  } finally {
    out.removeListener('error', failed);
  }
}
