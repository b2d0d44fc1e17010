import { GraphQLError } from 'graphql';
import { maskError } from 'graphql-yoga';
import { ExportTooLargeError, NotFoundError, ShuttingDownError, UnauthenticatedError, ValidationError } from '../domain/errors.ts';
import { exportPath } from './rest/routes/chats.ts';

// How the GraphQL API answers a domain error thrown outside a result union (a list
// query's bad filter, a subscription to a missing stream, a missing key). The deletes'
// unions carry theirs as members instead (src/graphql/types/errors.ts).

interface Coding<E extends Error> {
  type: abstract new (...args: never[]) => E;
  code: string;
  /**
   * Set for an error that fails the whole request, answered with this HTTP status wherever
   * it was thrown. Without it the error belongs to a field and keeps the field's path;
   * thrown outside any field it is a fault, and stays masked.
   */
  status?: number;
  /** The message when the domain's needs more for a GraphQL client. */
  message?(error: E): string;
  details?(error: E): Record<string, unknown>;
}

const coding = <E extends Error>(entry: Coding<E>): Coding<Error> => entry;

const CODINGS = [
  coding({ type: UnauthenticatedError, code: 'UNAUTHENTICATED', status: 401 }),
  coding({ type: ShuttingDownError, code: 'SHUTTING_DOWN', status: 503 }),
  coding({ type: ValidationError, code: 'BAD_USER_INPUT', details: (e) => ({ fieldErrors: e.fieldErrors }) }),
  coding({ type: NotFoundError, code: 'NOT_FOUND', details: (e) => ({ resourceType: e.resourceType, id: e.id }) }),
  coding({
    type: ExportTooLargeError,
    code: 'EXPORT_TOO_LARGE',
    message: (e) => `${e.message}: GET ${exportPath(e.chatId)} streams it as NDJSON at any size`,
    details: (e) => ({ chatId: e.chatId, maxMessages: e.limits.messages, maxTextCharacters: e.limits.textCharacters, ndjson: exportPath(e.chatId) }),
  }),
];

/** The coded GraphQL error of a domain error (bare, or wrapped by a field), if it has one. */
export function codedDomainError(error: unknown): GraphQLError | undefined {
  const field = error instanceof GraphQLError ? error : undefined;
  const original = field ? field.originalError : error;
  const found = CODINGS.find((entry) => original instanceof entry.type);
  if (!found || !(original instanceof Error)) return undefined;
  if (found.status !== undefined) {
    return new GraphQLError(original.message, { extensions: { code: found.code, http: { status: found.status } } });
  }
  if (!field) return undefined;
  return new GraphQLError(found.message?.(original) ?? original.message, {
    nodes: field.nodes,
    path: field.path,
    extensions: { code: found.code, ...found.details?.(original) },
  });
}

/** Yoga's error masking: domain errors get their codes, anything unexpected stays masked. */
export function maskErrors(error: unknown, message: string, isDev?: boolean): Error {
  const coded = codedDomainError(error);
  if (coded) return coded;
  // A malformed federation representation (no __typename, not an object, an id that is
  // not a string) fails inside the entities resolver; it is the client's mistake.
  if (error instanceof GraphQLError && error.path?.[0] === '_entities') {
    return new GraphQLError('Each representation needs the __typename of an entity and a string id', {
      nodes: error.nodes,
      path: error.path,
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return maskError(error, message, isDev);
}
