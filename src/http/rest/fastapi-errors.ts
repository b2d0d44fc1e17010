import { type Problem, json } from './problem.ts';

/**
 * Errors as FastAPI services answer them (seeds 000, 001, 002), with their statuses:
 * {"detail": "..."}, and for bad input 422 {"detail": [{"loc": [...], "msg": ..., "type": ...}]}.
 * `locate` says which part of the request a field is in. The domain names fields as
 * GraphQL arguments, so `names` maps such a path (joined: "input.threadId") to the name
 * the seed's request gives the field.
 */
export function fastApiError(
  problem: Problem,
  locate: (field: string) => 'path' | 'query' | 'body',
  names: Readonly<Record<string, string>> = {},
): Response {
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
          ...(problem.holdIds !== null && { hold_ids: problem.holdIds }),
        },
        409,
      );
    case 'invalid':
      return json(
        {
          detail: problem.fieldErrors.map((e) => {
            const renamed = names[e.path.join('.')];
            const path = renamed === undefined ? e.path : [renamed];
            return { loc: [locate(path[0] ?? ''), ...path], msg: e.message, type: 'value_error' };
          }),
        },
        422,
      );
    case 'unauthenticated':
      return json({ detail: problem.message }, 401, { 'www-authenticate': 'ApiKey' });
    case 'forbidden':
      return json({ detail: problem.message }, 403);
    case 'internal':
      return json({ detail: problem.message }, 500);
    case 'refused':
      return json({ detail: problem.message, code: problem.code }, problem.status, problem.headers);
  }
}
