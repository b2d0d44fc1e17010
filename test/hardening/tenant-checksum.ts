import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../src/data/db.ts';

// A deterministic dump of everything one tenant owns in the database, hashed: every row of
// every table that carries `tenant_id` (found from the live schema, so a table added later
// is covered without touching this file), the tenant's own row, and the rows that belong to
// the tenant through their stream (stream_events has no tenant column). Rows are ordered
// by every column and serialised with sorted keys, so the same data always hashes the same.

export interface TenantDump {
  /** sha256 of the dump. */
  checksum: string;
  /** Rows per table, to say what changed when the checksum does. */
  counts: Record<string, number>;
  /** table → its rows as JSON lines (for a readable diff on failure). */
  rows: Record<string, string[]>;
}

async function tablesWithColumns(db: Db, engine: 'sqlite' | 'postgres'): Promise<Map<string, string[]>> {
  const tables = new Map<string, string[]>();
  if (engine === 'postgres') {
    const { rows } = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns
      where table_schema = current_schema() order by table_name, ordinal_position`.execute(db);
    for (const r of rows) tables.set(r.table_name, [...(tables.get(r.table_name) ?? []), r.column_name]);
  } else {
    const { rows } = await sql<{ table_name: string; column_name: string }>`
      select m.name as table_name, p.name as column_name
      from sqlite_master m join pragma_table_info(m.name) p
      where m.type = 'table' and m.name not like 'sqlite_%' order by m.name, p.cid`.execute(db);
    for (const r of rows) tables.set(r.table_name, [...(tables.get(r.table_name) ?? []), r.column_name]);
  }
  for (const name of [...tables.keys()]) if (name.startsWith('kysely_')) tables.delete(name);
  return tables;
}

const stable = (row: Record<string, unknown>) =>
  JSON.stringify(Object.fromEntries(Object.keys(row).sort().map((k) => [k, row[k] instanceof Date ? (row[k] as Date).toISOString() : row[k]])));

/** Everything the tenant owns, hashed. `tenantId` is the tenants.id (not its name). */
export async function tenantDump(db: Db, engine: 'sqlite' | 'postgres', tenantId: string): Promise<TenantDump> {
  const tables = await tablesWithColumns(db, engine);
  const hash = createHash('sha256');
  const counts: Record<string, number> = {};
  const dumped: Record<string, string[]> = {};
  for (const [table, columns] of [...tables.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    let where;
    if (columns.includes('tenant_id')) where = sql`tenant_id = ${tenantId}`;
    else if (table === 'tenants') where = sql`id = ${tenantId}`;
    else if (columns.includes('stream_id')) where = sql`stream_id in (select id from streams where tenant_id = ${tenantId})`;
    else continue;
    const orderBy = sql.raw(columns.map((_, i) => String(i + 1)).join(', '));
    const select = sql.raw(columns.map((c) => `"${c}"`).join(', '));
    const { rows } = await sql<Record<string, unknown>>`select ${select} from ${sql.table(table)} where ${where} order by ${orderBy}`.execute(db);
    const lines = rows.map(stable);
    counts[table] = lines.length;
    dumped[table] = lines;
    hash.update(`${table}\n`);
    for (const line of lines) hash.update(`${line}\n`);
  }
  return { checksum: hash.digest('hex'), counts, rows: dumped };
}

/** The tenants.id of a tenant name (the harness names them tenant-a and tenant-b). */
export async function tenantIdOf(db: Db, name: string): Promise<string> {
  const row = await db.selectFrom('tenants').select('id').where('name', '=', name).executeTakeFirstOrThrow();
  return row.id;
}

/** For a failure message: which tables' rows differ between two dumps. */
export function dumpDiff(before: TenantDump, after: TenantDump): Record<string, { removed: string[]; added: string[] }> {
  const diff: Record<string, { removed: string[]; added: string[] }> = {};
  for (const table of new Set([...Object.keys(before.rows), ...Object.keys(after.rows)])) {
    const b = new Set(before.rows[table] ?? []);
    const a = new Set(after.rows[table] ?? []);
    const removed = [...b].filter((r) => !a.has(r)).map((r) => r.slice(0, 300));
    const added = [...a].filter((r) => !b.has(r)).map((r) => r.slice(0, 300));
    if (removed.length || added.length) diff[table] = { removed: removed.slice(0, 5), added: added.slice(0, 5) };
  }
  return diff;
}
