import { type Kysely, sql } from 'kysely';

// Frozen in time: this migration never imports application code and is never edited.

export async function up(db: Kysely<any>): Promise<void> {
  // Entries are written without these and sealed into their tenant's hash chain after
  // commit, so a delete never waits on the chain. Entries already here are unsealed and
  // the first sealing chains them. integer is wide enough: a tenant's chain_index never
  // exceeds seq, which is an integer too.
  await db.schema.alterTable('audit_log').addColumn('chain_index', 'integer').execute();
  await db.schema.alterTable('audit_log').addColumn('previous_hash', 'text').execute();
  await db.schema.alterTable('audit_log').addColumn('hash', 'text').execute();
  // The backstop against a forked chain, and the order the verifier reads a chain in.
  await db.schema.createIndex('audit_log_tenant_chain').on('audit_log').columns(['tenant_id', 'chain_index']).unique().execute();
  // The sealer looks for unsealed entries every second: with none, this index is empty.
  await db.schema
    .createIndex('audit_log_unsealed')
    .on('audit_log')
    .columns(['tenant_id', 'seq'])
    .where(sql<boolean>`hash is null`)
    .execute();
  // Each tenant's last sealed entry. Its row is the lock that makes sealers of one tenant
  // take turns, and it tells the verifier where the chain ends, so a removed last entry shows.
  await db.schema
    .createTable('audit_chain_heads')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey())
    .addColumn('chain_index', 'integer', (c) => c.notNull())
    .addColumn('hash', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_chain_heads').execute();
  await db.schema.dropIndex('audit_log_unsealed').execute();
  await db.schema.dropIndex('audit_log_tenant_chain').execute();
  await db.schema.alterTable('audit_log').dropColumn('hash').execute();
  await db.schema.alterTable('audit_log').dropColumn('previous_hash').execute();
  await db.schema.alterTable('audit_log').dropColumn('chain_index').execute();
}
