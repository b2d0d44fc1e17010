import { type PageInfoShape, resolveCursorConnection } from '@pothos/plugin-relay';
import { GraphQLError } from 'graphql';
import type { CursorKey, PageRequest } from '../data/keyset.ts';
import { isId } from '../domain/validation.ts';

export interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

// Cursors are opaque to clients: base64url of a JSON array holding the row's sort key.
export function encodeCursor(parts: unknown[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/**
 * The parts of a cursor if `accept` takes them, else a BAD_USER_INPUT error: Buffer
 * would silently skip characters that are not base64url, so they are refused first.
 */
export function decodeCursor<T>(cursor: string, arg: string, accept: (parts: unknown[]) => T | undefined): T {
  let parts: unknown;
  try {
    if (/^[A-Za-z0-9_-]+$/.test(cursor)) parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {}
  const value = Array.isArray(parts) ? accept(parts) : undefined;
  if (value === undefined)
    throw new GraphQLError(`${arg} is not a cursor of this list`, { extensions: { code: 'BAD_USER_INPUT' } });
  return value;
}

// Only the shapes this server writes: a timestamp and a UUID (no NUL, which PostgreSQL refuses).
const keyOfParts = ([at, id, ...rest]: unknown[]): CursorKey | undefined =>
  typeof at === 'string' && /^[\dT:.Z+-]{10,40}$/.test(at) && typeof id === 'string' && isId(id) && rest.length === 0
    ? { at, id }
    : undefined;

const decodeKey = (cursor: string | undefined, arg: string) =>
  cursor === undefined ? undefined : decodeCursor(cursor, arg, keyOfParts);

/** A Relay connection over a keyset-paged list; `keyOf` gives a node's (time, id) sort key. */
export async function keysetConnection<T>(
  args: ConnectionArgs,
  keyOf: (row: T) => CursorKey,
  load: (page: PageRequest) => Promise<readonly T[]>,
): Promise<{ edges: { cursor: string; node: T }[]; pageInfo: PageInfoShape }> {
  const connection = await resolveCursorConnection(
    {
      args,
      toCursor: (row) => {
        const key = keyOf(row as T);
        return encodeCursor([key.at, key.id]);
      },
      defaultSize: 20,
      maxSize: 100,
    },
    ({ after, before, limit, inverted }) =>
      load({ after: decodeKey(after, 'after'), before: decodeKey(before, 'before'), limit, inverted }),
  );
  // The loader never answers null, so neither does the connection.
  return connection as unknown as { edges: { cursor: string; node: T }[]; pageInfo: PageInfoShape };
}

export const byCreation = (node: { createdAt: string; id: string }): CursorKey => ({ at: node.createdAt, id: node.id });
