import {
  ConflictError,
  type FieldError,
  ForbiddenError,
  NotFoundError,
  ShuttingDownError,
  UnauthenticatedError,
  ValidationError,
} from '../../domain/errors.ts';

/**
 * An expected failure, independent of how a seed API spells it: each route family turns
 * it into its own body (FastAPI's `detail`, Flowise's `statusCode`, Azure's `error`).
 */
export type Problem =
  | { kind: 'unauthenticated'; message: string }
  | { kind: 'not-found'; message: string; resourceType: string; id: string }
  | {
      kind: 'conflict';
      message: string;
      reason: string;
      activeConnections: number | null;
      currentVersion: number | null;
      /** The active legal holds that refused the delete (LEGAL_HOLD). */
      holdIds: readonly string[] | null;
    }
  | { kind: 'invalid'; message: string; fieldErrors: FieldError[] }
  | { kind: 'forbidden'; message: string }
  | { kind: 'internal'; message: string }
  /**
   * Turned away before any handler ran (method not served, body too large, rate limit,
   * Idempotency-Key), or by a server going down (503): the status is the same in every
   * family, only the body's shape differs.
   */
  | { kind: 'refused'; status: number; code: string; message: string; headers?: Record<string, string> };

export function problemOf(error: unknown): Problem | undefined {
  if (error instanceof UnauthenticatedError) return { kind: 'unauthenticated', message: error.message };
  if (error instanceof ForbiddenError) return { kind: 'forbidden', message: error.message };
  if (error instanceof NotFoundError)
    return { kind: 'not-found', message: error.message, resourceType: error.resourceType, id: error.id };
  if (error instanceof ConflictError)
    return {
      kind: 'conflict',
      message: error.message,
      reason: error.reason,
      activeConnections: error.activeConnections,
      currentVersion: error.currentVersion,
      holdIds: error.holdIds,
    };
  if (error instanceof ValidationError) return { kind: 'invalid', message: error.message, fieldErrors: error.fieldErrors };
  if (error instanceof ShuttingDownError) return { kind: 'refused', status: 503, code: 'SHUTTING_DOWN', message: error.message };
  return undefined;
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

/**
 * Runs a handler and answers its failures in the family's shape; an unexpected one is
 * logged and answered 500 without detail.
 */
export function withProblems(
  format: (problem: Problem) => Response,
  handler: () => Promise<Response>,
): Promise<Response> {
  return handler().catch((error: unknown) => {
    const problem = problemOf(error);
    if (problem) return format(problem);
    console.error('REST request failed', error);
    return format({ kind: 'internal', message: 'Internal server error' });
  });
}
