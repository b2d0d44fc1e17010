import { type Problem, json } from './problem.ts';

/** An error as Flowise (seed 003) answers it. */
export function flowiseError(statusCode: number, message: string, headers?: Record<string, string>): Response {
  return json({ statusCode, success: false, message }, statusCode, headers);
}

/**
 * Every failure of the Flowise routes, with its status; `fieldName` names a bad field as
 * the route's client knows it (a query parameter's name).
 */
export function flowiseApiError(problem: Problem, fieldName: (path: string[]) => string): Response {
  switch (problem.kind) {
    case 'unauthenticated':
      return flowiseError(401, 'Unauthorized Access');
    case 'not-found':
      return flowiseError(404, `Chatflow ${problem.id} not found`);
    case 'conflict':
      return flowiseError(409, problem.message);
    case 'invalid': {
      // A bad query value is the client's error (400), never a silent match-all.
      const named = problem.fieldErrors.map((e) => `${fieldName(e.path)}: ${e.message}`);
      return flowiseError(400, `Invalid query: ${named.join('; ')}`);
    }
    case 'forbidden':
      return flowiseError(403, problem.message);
    case 'internal':
      return flowiseError(500, 'Error clearing chat messages');
    case 'refused':
      return flowiseError(problem.status, problem.message, problem.headers);
  }
}
