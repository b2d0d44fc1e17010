import type pg from 'pg';
import { KIND, benchId } from './seed.ts';

/** benchId(kind, i) in PostgreSQL's SQL, for ids made by generate_series (checked by insertPostgresChats). */
const pgId = (kind: number, expr: string) => `lpad(to_hex(${kind}), 8, '0') || '-0000-4000-8000-' || lpad((${expr})::text, 12, '0')`;

/**
 * A flow of `chats` chats of one thread each, with `messagesPerChat` messages of one session
 * per chat (USER and ASSISTANT in turn), every id benchId's: the data of the PostgreSQL
 * benches, written in four statements. `content` is the SQL of the j-th message's text.
 */
export async function insertPostgresChats(
  client: pg.Client,
  data: { tenantId: string; flowId: string; chats: number; messagesPerChat: number; content: (j: string) => string },
): Promise<void> {
  const { tenantId, flowId, chats, messagesPerChat } = data;
  const at = `'2025-01-01T00:00:00.000Z'`;
  const chat = `((j - 1) / ${messagesPerChat} + 1)`;
  await client.query(`insert into flows (id, tenant_id, name, type, created_at) values ($1, $2, 'Bench flow', 'CHATFLOW', ${at})`, [flowId, tenantId]);
  await client.query(
    `insert into chats (id, tenant_id, flow_id, title, version, created_at, updated_at)
     select ${pgId(KIND.chat, 'i')}, $1, $2, 'Bench chat ' || i, 1, ${at}, ${at} from generate_series(1, ${chats}) i`,
    [tenantId, flowId],
  );
  await client.query(
    `insert into threads (id, tenant_id, chat_id, flow_id, title, version, created_at, updated_at)
     select ${pgId(KIND.thread, 'i')}, $1, ${pgId(KIND.chat, 'i')}, $2, 'Thread', 1, ${at}, ${at} from generate_series(1, ${chats}) i`,
    [tenantId, flowId],
  );
  await client.query(
    `insert into messages (id, tenant_id, flow_id, chat_id, thread_id, role, content, session_id, chat_type, created_at)
     select ${pgId(KIND.message, 'j')}, $1, $2, ${pgId(KIND.chat, chat)}, ${pgId(KIND.thread, chat)},
            case j % 2 when 0 then 'USER' else 'ASSISTANT' end, ${data.content('j')},
            'session-' || ${chat}, 'INTERNAL', ${at}
     from generate_series(1, ${chats * messagesPerChat}) j`,
    [tenantId, flowId],
  );
  await client.query('vacuum analyze chats, threads, messages');
  const { rows } = await client.query<{ id: string }>(`select ${pgId(KIND.chat, '7')} as id`);
  if (rows[0]!.id !== benchId(KIND.chat, 7)) throw new Error(`chat ids differ from benchId: ${rows[0]!.id}`);
}
