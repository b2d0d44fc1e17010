// The expected failures of domain operations; anything else is an unexpected fault. Each
// API family answers them from one table: GraphQL's is src/http/graphql-errors.ts (the
// deletes' unions carry them as members instead, src/graphql/types/errors.ts); REST turns
// them into Problems (src/http/rest/problem.ts) that each family's `fail` answers.

import type { ResourceType } from '../data/tables.ts';

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(
    readonly resourceType: ResourceType,
    readonly id: string,
  ) {
    super(`${resourceType.charAt(0)}${resourceType.slice(1).toLowerCase().replaceAll('_', ' ')} ${id} not found`);
  }
}

export const CONFLICT_REASONS = ['ACTIVE_CONNECTIONS', 'VERSION_MISMATCH', 'ACTIVE_STREAM', 'LEGAL_HOLD'] as const;
export type ConflictReason = (typeof CONFLICT_REASONS)[number];

export class ConflictError extends Error {
  override readonly name = 'ConflictError';
  readonly activeConnections: number | null;
  readonly currentVersion: number | null;
  readonly holdIds: readonly string[] | null;
  constructor(
    readonly reason: ConflictReason,
    message: string,
    extra: { activeConnections?: number; currentVersion?: number; holdIds?: readonly string[] } = {},
  ) {
    super(message);
    this.activeConnections = extra.activeConnections ?? null;
    this.currentVersion = extra.currentVersion ?? null;
    this.holdIds = extra.holdIds ?? null;
  }
}

export interface FieldError {
  path: string[];
  message: string;
}

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(readonly fieldErrors: FieldError[]) {
    super(fieldErrors.map((e) => `${e.path.join('.')}: ${e.message}`).join('; '));
  }
}

/** The API key is valid but lacks the permission an operation needs. */
export class ForbiddenError extends Error {
  override readonly name = 'ForbiddenError';
}

/** The API key is missing, unknown or revoked. */
export class UnauthenticatedError extends Error {
  override readonly name = 'UnauthenticatedError';
  constructor(message = 'A valid API key is required (x-api-key or Authorization: Bearer)') {
    super(message);
  }
}

/**
 * The server stopped while the operation waited for work it had started (a queued
 * erasure): that work goes on at the next start, but this answer cannot wait for it.
 */
export class ShuttingDownError extends Error {
  override readonly name = 'ShuttingDownError';
}

/** A chat too large to answer as one value; the caller should stream it instead. */
export class ExportTooLargeError extends Error {
  override readonly name = 'ExportTooLargeError';
  constructor(
    readonly chatId: string,
    readonly limits: { messages: number; textCharacters: number },
  ) {
    super(
      `Chat ${chatId} is too large to export in one answer (more than ${limits.messages.toLocaleString('en-US')} messages ` +
        `or ${limits.textCharacters.toLocaleString('en-US')} characters of text)`,
    );
  }
}

export function versionMismatch(resource: string, expected: number, current: number): ConflictError {
  return new ConflictError(
    'VERSION_MISMATCH',
    `${resource} is at version ${current}, not the expected ${expected}`,
    { currentVersion: current },
  );
}

/** The expected failures: a client's mistake or a state of the data, never a fault. */
export function isDomainError(error: unknown): boolean {
  return (
    error instanceof NotFoundError ||
    error instanceof ConflictError ||
    error instanceof ValidationError ||
    error instanceof ForbiddenError ||
    error instanceof UnauthenticatedError ||
    error instanceof ShuttingDownError ||
    error instanceof ExportTooLargeError
  );
}
