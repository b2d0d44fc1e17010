import { restFailureAt } from './rest/rest-routes.ts';

/** A request turned away before GraphQL or a REST handler ran. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

/**
 * Answers a refusal in the shape of the API the path belongs to: a REST family's own
 * error body there, a GraphQL error with the code elsewhere. The status is the same in
 * every shape, so a client of either API can switch on it.
 */
export function refuse(pathname: string, refusal: Refusal): Response {
  const restFailure = restFailureAt(pathname);
  if (restFailure) return restFailure({ kind: 'refused', ...refusal });
  const body = { errors: [{ message: refusal.message, extensions: { code: refusal.code } }] };
  return new Response(JSON.stringify(body), {
    status: refusal.status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...refusal.headers },
  });
}
