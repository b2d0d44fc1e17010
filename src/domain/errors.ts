// The expected failures of domain operations. The GraphQL layer maps each class to a
// union member and the REST layer to a status code; anything else is an unexpected fault.

export type ResourceType = 'FLOW' | 'CHAT' | 'THREAD' | 'MESSAGE' | 'STREAM' | 'DELETION_JOB';

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(
    readonly resourceType: ResourceType,
    readonly id: string,
  ) {
    super(`${resourceType.charAt(0)}${resourceType.slice(1).toLowerCase()} ${id} not found`);
  }
}

export type ConflictReason = 'ACTIVE_CONNECTIONS' | 'VERSION_MISMATCH' | 'ACTIVE_STREAM';

export class ConflictError extends Error {
  override readonly name = 'ConflictError';
  readonly activeConnections: number | null;
  readonly currentVersion: number | null;
  constructor(
    readonly reason: ConflictReason,
    message: string,
    extra: { activeConnections?: number; currentVersion?: number } = {},
  ) {
    super(message);
    this.activeConnections = extra.activeConnections ?? null;
    this.currentVersion = extra.currentVersion ?? null;
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
    error instanceof UnauthenticatedError
  );
}
