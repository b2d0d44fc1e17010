import { type PageInfoShape, resolveCursorConnection } from '@pothos/plugin-relay';
import { GraphQLError } from 'graphql';
import type { CursorKey, PageRequest } from '../data/keyset.ts';

export interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

// Cursors are opaque to clients: base64url of the row's sort key.
export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify([key.at, key.id])).toString('base64url');
}

function decodeCursor(cursor: string | undefined, arg: string): CursorKey | undefined {
  if (cursor === undefined) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && typeof id === 'string') return { at, id };
  } catch {}
  throw new GraphQLError(`${arg} is not a cursor of this list`, { extensions: { code: 'BAD_USER_INPUT' } });
}

/** A Relay connection over a keyset-paged list; `keyOf` gives a row's (time, id) sort key. */
export async function keysetConnection<T>(
  args: ConnectionArgs,
  keyOf: (row: T) => CursorKey,
  load: (page: PageRequest) => Promise<readonly T[]>,
): Promise<{ edges: { cursor: string; node: T }[]; pageInfo: PageInfoShape }> {
  const connection = await resolveCursorConnection(
    { args, toCursor: (row) => encodeCursor(keyOf(row as T)), defaultSize: 20, maxSize: 100 },
    ({ after, before, limit, inverted }) =>
      load({ after: decodeCursor(after, 'after'), before: decodeCursor(before, 'before'), limit, inverted }),
  );
  // The loader never answers null, so neither does the connection.
  return connection as unknown as { edges: { cursor: string; node: T }[]; pageInfo: PageInfoShape };
}

export const byCreation = (row: { created_at: string; id: string }): CursorKey => ({ at: row.created_at, id: row.id });
