import { type Problem, json } from './problem.ts';

/** An error as the agents API (seed 004) answers it: its AgentV1Error body. */
export function agentV1Error(
  status: number,
  code: string | null,
  message: string,
  param: string | null,
  type: string,
  headers?: Record<string, string>,
): Response {
  return json({ error: { code, message, param, type } }, status, headers);
}

/** Every failure of the agents API's routes, with its status, code and type. */
export function agentsApiError(problem: Problem): Response {
  switch (problem.kind) {
    case 'unauthenticated':
      return agentV1Error(401, 'unauthorized', problem.message, null, 'authentication_error');
    case 'not-found': {
      const [noun, param] = problem.resourceType === 'MESSAGE' ? ['message', 'messageId'] : ['thread', 'threadId'];
      return agentV1Error(404, 'not_found', `No ${noun} found with id '${problem.id}'.`, param, 'invalid_request_error');
    }
    case 'conflict':
      // A legal hold is told apart: retrying, or forcing, will not help until it is released.
      return agentV1Error(409, problem.reason === 'LEGAL_HOLD' ? 'legal_hold' : 'conflict', problem.message, null, 'invalid_request_error');
    case 'forbidden':
      return agentV1Error(403, 'forbidden', problem.message, null, 'permission_error');
    case 'internal':
      return agentV1Error(500, 'server_error', problem.message, null, 'server_error');
    case 'refused': {
      const type = problem.status === 429 ? 'rate_limit_error' : 'invalid_request_error';
      return agentV1Error(problem.status, problem.code.toLowerCase(), problem.message, null, type, problem.headers);
    }
    case 'invalid': {
      const message = problem.fieldErrors.map((e) => `${e.path.join('.')} ${e.message}`).join('; ');
      return agentV1Error(400, 'invalid_value', message, problem.fieldErrors[0]?.path.join('.') ?? null, 'invalid_request_error');
    }
  }
}
