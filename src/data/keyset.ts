import { type SelectQueryBuilder, sql } from 'kysely';

/** A position in a list ordered by (time, id); opaque to clients once encoded. */
export interface CursorKey {
  at: string;
  id: string;
}

/** One page request as plugin-relay hands it over, with decoded cursors. */
export interface PageRequest {
  after?: CursorKey;
  before?: CursorKey;
  limit: number;
  inverted: boolean;
}

/**
 * Keyset pagination over (atColumn, idColumn): stable under concurrent inserts and
 * deletes, and served by the (…, created_at, id) indexes instead of an OFFSET scan.
 */
export function keysetPage<DB, TB extends keyof DB, O>(
  qb: SelectQueryBuilder<DB, TB, O>,
  atColumn: string,
  idColumn: string,
  page: PageRequest,
): SelectQueryBuilder<DB, TB, O> {
  const at = sql.ref(atColumn);
  const id = sql.ref(idColumn);
  let q = qb;
  if (page.after) q = q.where(sql<boolean>`(${at}, ${id}) > (${page.after.at}, ${page.after.id})`);
  if (page.before) q = q.where(sql<boolean>`(${at}, ${id}) < (${page.before.at}, ${page.before.id})`);
  const direction = page.inverted ? sql`desc` : sql`asc`;
  return q.orderBy(sql`${at} ${direction}`).orderBy(sql`${id} ${direction}`).limit(page.limit);
}
