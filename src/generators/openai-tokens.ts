import OpenAI, { APIConnectionError, APIError } from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { Upstream } from '../config/config.ts';
import type { Generation, TokenSource, Turn } from '../domain/token-sources.ts';

/** The upstream refused, failed or fell silent; its message is the FAILED event's reason. */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
}

/**
 * Generates through `POST {baseUrl}/chat/completions` with `stream: true`, the thread's
 * messages as context; each content delta is one token. Aborting the signal aborts the
 * request, so the upstream sees its connection close and stops spending on the reply.
 */
export function openAiTokens(upstream: Upstream): TokenSource {
  const client = new OpenAI({
    baseURL: upstream.baseUrl,
    apiKey: upstream.apiKey ?? '',
    defaultHeaders: upstream.apiKey === undefined ? { authorization: null } : undefined,
    // A stream fails visibly and its client may start another; a silent retry would repeat
    // the prompt's cost and hide the upstream's state behind a longer wait.
    maxRetries: 0,
  });
  return async function* generate(generation, signal) {
    if (signal.aborted) return;
    // The SDK's own timeout ends once the answer's headers arrive; a silent stream after
    // them is caught here. A plain timer aborting a controller: AbortSignal.timeout inside
    // AbortSignal.any was seen never to fire on Node 20.
    const controller = new AbortController();
    const stop = () => controller.abort();
    signal.addEventListener('abort', stop, { once: true });
    let silent = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      timer = setTimeout(() => {
        silent = true;
        controller.abort();
      }, upstream.timeoutMs);
    };
    try {
      arm();
      const chunks = await client.chat.completions.create(
        { model: upstream.model, messages: messagesOf(generation), stream: true },
        { signal: controller.signal },
      );
      const iterator = chunks[Symbol.asyncIterator]();
      for (;;) {
        clearTimeout(timer);
        arm();
        const next = await iterator.next();
        clearTimeout(timer);
        // The SDK's stream ends quietly when its request is aborted: tell why it ended.
        if (next.done) {
          if (controller.signal.aborted) throw new Error('aborted');
          return;
        }
        const delta = next.value.choices[0]?.delta?.content;
        if (delta) yield delta;
      }
    } catch (error) {
      if (signal.aborted) throw error;
      if (silent) throw new UpstreamError(`the model upstream sent nothing for ${upstream.timeoutMs} ms (LLM_TIMEOUT_MS)`);
      throw new UpstreamError(describe(error));
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
      if (signal.aborted) controller.abort();
    }
  };
}

function messagesOf({ history, prompt }: Generation): ChatCompletionMessageParam[] {
  const earlier = history.flatMap((turn): ChatCompletionMessageParam[] => {
    const role = ROLES[turn.role];
    return role ? [{ role, content: turn.content }] : [];
  });
  return [...earlier, { role: 'user', content: prompt }];
}

// A TOOL message cannot be sent without the tool call it answers, which we do not keep.
const ROLES: Record<Turn['role'], 'user' | 'assistant' | 'system' | undefined> = {
  USER: 'user',
  ASSISTANT: 'assistant',
  SYSTEM: 'system',
  TOOL: undefined,
};

function describe(error: unknown): string {
  if (error instanceof APIError && error.status !== undefined) {
    const said = (error.error as { message?: unknown } | undefined)?.message;
    return `the model upstream answered HTTP ${error.status}${typeof said === 'string' && said !== '' ? `: ${said}` : ''}`;
  }
  if (error instanceof APIConnectionError) return `the model upstream could not be reached: ${causeOf(error)}`;
  return `the model upstream failed: ${error instanceof Error ? error.message : String(error)}`;
}

/** The socket-level reason (ECONNREFUSED, ENOTFOUND…) under the SDK's "Connection error.". */
function causeOf(error: Error): string {
  for (let e: unknown = error.cause; e instanceof Error; e = e.cause) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code;
    if (!(e.cause instanceof Error)) return e.message;
  }
  return error.message;
}
