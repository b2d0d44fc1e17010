import { isDomainError } from '../../domain/errors.ts';

/** How a streamed answer ended: every chunk sent, the client gone first, or a failure after the status was sent. */
export type StreamOutcome = { kind: 'complete' } | { kind: 'aborted' } | { kind: 'failed'; error: unknown };

export interface NdjsonOptions {
  /** The request's signal: it aborts when the client goes away. */
  signal: AbortSignal;
  headers?: Record<string, string>;
  /** Called once, after the chunks were closed (no more reading happens after it). */
  ended(outcome: StreamOutcome): void;
}

/**
 * A 200 answer streaming `chunks` (NDJSON text) with backpressure: the next chunk is read
 * only when the server has written the previous one to the socket (the stream's pull), so
 * a slow client slows the reading instead of filling memory. A client that goes away closes
 * the chunks at once. A failure after the first byte cannot change the status any more: it
 * ends the body with an error record, {"type":"error","message":...}, in place of the
 * records that were left.
 */
export function ndjsonResponse(chunks: AsyncGenerator<string, void, undefined>, options: NdjsonOptions): Response {
  const encoder = new TextEncoder();
  let settled = false;
  const settle = (outcome: StreamOutcome) => {
    if (settled) return false;
    settled = true;
    options.signal.removeEventListener('abort', abort);
    if (outcome.kind !== 'aborted') options.ended(outcome);
    return true;
  };
  // return() waits for a read in progress, so `ended` is told only once nothing reads any more.
  const abort = () => {
    if (settle({ kind: 'aborted' })) void chunks.return(undefined).finally(() => options.ended({ kind: 'aborted' }));
  };
  options.signal.addEventListener('abort', abort);
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (settled) return;
        if (next.done) {
          controller.close();
          settle({ kind: 'complete' });
        } else controller.enqueue(encoder.encode(next.value));
      } catch (error) {
        if (settled) return;
        const message = isDomainError(error) && error instanceof Error ? error.message : 'Internal server error';
        controller.enqueue(encoder.encode(`${JSON.stringify({ type: 'error', message })}\n`));
        controller.close();
        settle({ kind: 'failed', error });
      }
    },
    cancel: abort,
  });
  if (options.signal.aborted) abort();
  return new Response(body, { status: 200, headers: { 'content-type': 'application/x-ndjson', ...options.headers } });
}
