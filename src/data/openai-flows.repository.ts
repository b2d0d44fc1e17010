import type { Db } from './db.ts';
import type { OpenAiFlowTable } from './tables.ts';

export async function findOpenAiFlowId(db: Db, tenantId: string): Promise<string | undefined> {
  const row = await db.selectFrom('openai_flows').select('flow_id').where('tenant_id', '=', tenantId).executeTakeFirst();
  return row?.flow_id;
}

/** Names the tenant's flow unless one was named first (then it changes nothing). */
export async function claimOpenAiFlow(db: Db, row: OpenAiFlowTable): Promise<void> {
  await db.insertInto('openai_flows').values(row).onConflict((oc) => oc.column('tenant_id').doNothing()).execute();
}
