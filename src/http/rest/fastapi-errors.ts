import { type Problem, json, statusOf } from './problem.ts';

/**
 * Errors as FastAPI services answer them (seeds 000, 001, 002): {"detail": "..."}, and
 * for bad input 422 {"detail": [{"loc": [...], "msg": ..., "type": ...}]}.
 */
export function fastApiError(problem: Problem, locate: (field: string) => 'path' | 'query' | 'body'): Response {
  switch (problem.kind) {
    case 'not-found':
      return json({ detail: problem.message }, 404);
    case 'conflict':
      return json(
        {
          detail: problem.message,
          reason: problem.reason,
          ...(problem.activeConnections !== null && { active_connections: problem.activeConnections }),
          ...(problem.currentVersion !== null && { current_version: problem.currentVersion }),
        },
        409,
      );
    case 'invalid':
      return json(
        {
          detail: problem.fieldErrors.map((e) => ({
            loc: [locate(e.path[0] ?? ''), ...e.path],
            msg: e.message,
            type: 'value_error',
          })),
        },
        422,
      );
    case 'unauthenticated':
      return json({ detail: problem.message }, 401, { 'www-authenticate': 'ApiKey' });
    case 'refused':
      return json({ detail: problem.message, code: problem.code }, problem.status, problem.headers);
    default:
      return json({ detail: problem.message }, statusOf(problem));
  }
}
