import { agentV1Error } from './agents-errors.ts';
import type { Problem } from './problem.ts';

// OpenAI's API answers its errors in the envelope Azure's agents API copied,
// {"error": {"message", "type", "param", "code"}}, so the body is built as agents-errors.ts
// builds it; the statuses, codes and messages are OpenAI's, which its SDK turns into
// NotFoundError, AuthenticationError, BadRequestError, ... with the message.

/** How a route's client names what an id names: a THREAD is a "conversation" on the conversation routes. */
export type Nouns = Readonly<Record<string, string>>;

/** Every failure of the OpenAI routes, with OpenAI's status. */
export function openAiApiError(problem: Problem, nouns: Nouns): Response {
  switch (problem.kind) {
    case 'unauthenticated':
      return agentV1Error(401, 'invalid_api_key', problem.message, null, 'invalid_request_error');
    case 'forbidden':
      return agentV1Error(403, 'insufficient_permissions', problem.message, null, 'invalid_request_error');
    case 'not-found': {
      const noun = nouns[problem.resourceType] ?? problem.resourceType.toLowerCase();
      return agentV1Error(404, null, `No ${noun} found with id '${problem.id}'.`, null, 'invalid_request_error');
    }
    case 'conflict': {
      // The SDK retries a 409 by default; under a legal hold a retry cannot succeed.
      const held = problem.reason === 'LEGAL_HOLD';
      const headers: Record<string, string> = held ? { 'x-should-retry': 'false' } : {};
      return agentV1Error(409, problem.reason.toLowerCase(), problem.message, null, 'invalid_request_error', headers);
    }
    case 'invalid': {
      const message = problem.fieldErrors.map((e) => `${e.path.join('.')} ${e.message}`).join('; ');
      return agentV1Error(400, 'invalid_value', message, problem.fieldErrors[0]?.path.join('.') ?? null, 'invalid_request_error');
    }
    case 'internal':
      return agentV1Error(500, null, problem.message, null, 'server_error');
    case 'refused': {
      const type = problem.status === 429 ? 'rate_limit_error' : problem.status >= 500 ? 'server_error' : 'invalid_request_error';
      return agentV1Error(problem.status, problem.code.toLowerCase(), problem.message, null, type, problem.headers);
    }
  }
}
