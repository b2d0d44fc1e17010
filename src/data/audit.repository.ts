import { compiledOnce } from './compiled-once.ts';
import type { AuditRow, NewAudit } from './tables.ts';
import type { Db } from './db.ts';

/** Compiled once: every write runs it. */
const insertAuditStatement = compiledOnce((db, row: NewAudit) => db.insertInto('audit_log').values(row).returningAll());

export async function insertAudit(db: Db, row: NewAudit): Promise<AuditRow> {
  const [inserted] = await insertAuditStatement(db, row);
  return inserted!;
}

/** Newest first; `beforeSeq` continues after the last entry of the previous page. */
export async function listAudit(
  db: Db,
  tenantId: string,
  beforeSeq: number | undefined,
  limit: number,
): Promise<AuditRow[]> {
  let q = db.selectFrom('audit_log').selectAll().where('tenant_id', '=', tenantId);
  if (beforeSeq !== undefined) q = q.where('seq', '<', beforeSeq);
  return q.orderBy('seq', 'desc').limit(limit).execute();
}

export async function findAudit(db: Db, tenantId: string, id: string): Promise<AuditRow | undefined> {
  return db.selectFrom('audit_log').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}
