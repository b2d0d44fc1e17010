import { sql } from 'kysely';
import type { ChatToDeleteAtOnce, ErasedAtOnce } from '../data-store.ts';
import type { Db } from '../db.ts';
import type { ErasureDeliveryRow } from '../tables.ts';
import { redactIdempotentAnswersQuery } from '../idempotency.repository.ts';
import { heldByQuery } from '../legal-holds.repository.ts';
import { countMessagesOfChatUpToQuery } from '../messages.repository.ts';
import { ACTIVE_STATUSES } from '../streams.repository.ts';
import { countThreadsOfChatQuery } from '../threads.repository.ts';
import { compiledOnce } from '../compiled-once.ts';

/**
 * Deletes a small, quiet chat and records its audit entry in one statement (PostgreSQL's
 * data-modifying WITH; a statement is its own transaction): one round trip where the
 * general path takes nine. It deletes only when the chat is the tenant's and live, at
 * `expectedVersion` if given, has no active stream, no active legal hold covers it (its
 * flow, the chat, a session of its messages: the check of src/domain/legal-holds.ts, in
 * this statement) and at most `maxMessages` messages, and
 * its version is still the one this statement's snapshot read: every change under a chat
 * (a thread created or deleted, a message posted or deleted) bumps that version, so a
 * change committed while this statement waited for the chat's lock makes it delete
 * nothing rather than return counts that miss it. The audit entry's details get the
 * counts as deletedThreadCount and deletedMessageCount.
 * When it deletes, it also redacts the tenant's stored Idempotency-Key answers, as
 * every permanent erasure does, at the audit entry's time, and writes its receipt and one
 * outbox entry per active erasure target of the chat's flow, with the event the general
 * path writes (src/domain/erasure-receipts.ts, copiesToErase and writeReceipt): every
 * sub-statement reads the one snapshot, so the event names the rows as they were before
 * the cascade removed them.
 *
 * Undefined when it deleted nothing: the caller then takes the general path, which tells why.
 */
export async function deleteSmallChatAtOnce(db: Db, input: ChatToDeleteAtOnce): Promise<ErasedAtOnce | undefined> {
  const [row] = await deleteAtOnceStatement(db, input);
  if (!row) return undefined;
  const { threads, messages, copies, ...auditRow } = row;
  return { threads: Number(threads), messages: Number(messages), copies: copies ?? [], audit: auditRow };
}

/** Compiled once: every delete of a small chat runs it, and Kysely's building was its main cost here. */
const deleteAtOnceStatement = compiledOnce(
  (db, { tenantId, chatId, expectedVersion, maxMessages, audit, receiptId, deadlineAt, leasedUntil }: ChatToDeleteAtOnce) =>
    db
      .with('c', (q) =>
        q.selectFrom('chats').select('version').where('tenant_id', '=', tenantId).where('id', '=', chatId).where('deleted_at', 'is', null),
      )
      .with('x', (q) =>
        q
          .selectFrom('streams')
          .leftJoin('stream_events', 'stream_events.stream_id', 'streams.id')
          .select((eb) => [eb.fn.count<number>('streams.id').distinct().as('streams'), eb.fn.count<number>('stream_events.stream_id').as('events')])
          .where('streams.chat_id', '=', chatId),
      )
      .with('t', () => countThreadsOfChatQuery(db, chatId))
      .with('m', () => countMessagesOfChatUpToQuery(db, chatId, maxMessages))
      .with('s', (q) =>
        q
          .selectFrom('streams')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('chat_id', '=', chatId)
          .where('status', 'in', ACTIVE_STATUSES),
      )
      .with('d', (q) =>
        q
          .deleteFrom('chats')
          .where('id', '=', chatId)
          .where('deleted_at', 'is', null)
          .where('version', '=', (eb) => eb.selectFrom('c').select('version'))
          .where((eb) => eb(eb.selectFrom('m').select('n'), '<=', maxMessages))
          .where((eb) => eb(eb.selectFrom('s').select('n'), '=', 0))
          .where((eb) => eb.not(eb.exists(heldByQuery(db, tenantId, { kind: 'chat', chatId }))))
          .$if(expectedVersion !== null, (d) => d.where('version', '=', expectedVersion!))
          .returning(['id', 'flow_id']),
      )
      // The active erasure targets of the chat's flow, once it is deleted, each with its
      // delivery's id (materialized: a volatile function's CTE is not inlined, so each id is
      // drawn once and is the same in the row and in its event).
      .with('g', (q) =>
        q
          .selectFrom('d')
          .innerJoin('erasure_targets as et', 'et.flow_id', 'd.flow_id')
          .where('et.tenant_id', '=', tenantId)
          .where('et.removed_at', 'is', null)
          .select([sql<string>`gen_random_uuid()::text`.as('id'), 'et.id as target_id', 'd.flow_id']),
      )
      // One outbox entry per target. The event's parts are uncorrelated subqueries, read once
      // and only when there is a target (no row, nothing read): the chat's rows as the
      // snapshot holds them, before the cascade above takes them.
      .with('o', (q) =>
        q
          .insertInto('erasure_deliveries')
          .columns([
            'id',
            'tenant_id',
            'receipt_id',
            'target_id',
            'event',
            'status',
            'attempts',
            'last_error',
            'created_at',
            'next_attempt_at',
            'deadline_at',
            'leased_until',
            'completed_at',
          ])
          .expression((eb) =>
            eb
              .selectFrom('g')
              .select([
                'g.id',
                sql.val(tenantId).as('tenant_id'),
                sql.val(receiptId).as('receipt_id'),
                'g.target_id',
                sql<string>`json_build_object(
                  'id', g.id,
                  'receiptId', ${receiptId}::text,
                  'erasedAt', ${audit.at}::text,
                  'flowId', g.flow_id,
                  'chatIds', json_build_array(${chatId}::text),
                  'threadIds', coalesce((select json_agg(th.id) from threads th where th.chat_id = ${chatId}), '[]'::json),
                  'sessionIds', coalesce((select json_agg(distinct ms.session_id) from messages ms where ms.chat_id = ${chatId} and ms.session_id is not null), '[]'::json),
                  'messageIds', coalesce((select json_agg(mi.id) from messages mi where mi.chat_id = ${chatId}), '[]'::json),
                  'rows', (
                    select coalesce(json_agg(json_build_object('chatId', er.chat_id, 'threadId', er.thread_id, 'sessionId', er.session_id) order by er.k), '[]'::json)
                    from (
                      select distinct 0 as k, mr.chat_id, mr.thread_id, mr.session_id from messages mr where mr.chat_id = ${chatId}
                      union all
                      select 1, te.chat_id, te.id, null::text from threads te
                        where te.chat_id = ${chatId} and not exists (select from messages mt where mt.thread_id = te.id)
                      union all
                      select 2, ${chatId}::text, null::text, null::text where not exists (select from threads tn where tn.chat_id = ${chatId})
                    ) er
                  )
                )::text`.as('event'),
                sql.lit('PENDING').as('status'),
                sql.lit(0).as('attempts'),
                sql<null>`null::text`.as('last_error'),
                sql.val(audit.at).as('created_at'),
                sql.val(audit.at).as('next_attempt_at'),
                sql.val(deadlineAt).as('deadline_at'),
                sql.val(leasedUntil).as('leased_until'),
                sql<null>`null::text`.as('completed_at'),
              ]),
          )
          .returningAll(),
      )
      .with('r', () => redactIdempotentAnswersQuery(db, tenantId, audit.request_id, audit.at).where(sql<boolean>`exists (select from d)`))
      .with('a', (q) =>
        q
          .insertInto('audit_log')
          .columns(['id', 'tenant_id', 'action', 'target_type', 'target_id', 'actor', 'request_id', 'details', 'at'])
          .expression((eb) =>
            eb
              .selectFrom(['d', 't', 'm'])
              .select([
                sql.val(audit.id).as('id'),
                sql.val(audit.tenant_id).as('tenant_id'),
                sql.val(audit.action).as('action'),
                sql.val(audit.target_type).as('target_type'),
                sql.val(audit.target_id).as('target_id'),
                sql.val(audit.actor).as('actor'),
                sql.val(audit.request_id).as('request_id'),
                sql<string>`(${audit.details ?? '{}'}::jsonb || jsonb_build_object('deletedThreadCount', t.n, 'deletedMessageCount', m.n))::text`.as(
                  'details',
                ),
                sql.val(audit.at).as('at'),
              ]),
          )
          .returningAll(),
      )
      .with('rc', (q) =>
        q
          .insertInto('erasure_receipts')
          .columns(['id', 'tenant_id', 'action', 'target_type', 'target_id', 'audit_entry_id', 'counts', 'requested_at', 'rows_erased_at'])
          .expression((eb) =>
            eb
              .selectFrom(['d', 't', 'm', 'x'])
              .select([
                sql.val(receiptId).as('id'),
                sql.val(audit.tenant_id).as('tenant_id'),
                sql.val(audit.action).as('action'),
                sql.val(audit.target_type).as('target_type'),
                sql.val(audit.target_id).as('target_id'),
                sql.val(audit.id).as('audit_entry_id'),
                sql<string>`json_build_object('chats', 1, 'threads', t.n, 'messages', m.n, 'streams', x.streams, 'streamEvents', x.events)::text`.as('counts'),
                sql.val(audit.at).as('requested_at'),
                sql.val(audit.at).as('rows_erased_at'),
              ]),
          ),
      )
      .selectFrom(['a', 't', 'm'])
      .selectAll('a')
      .select(['t.n as threads', 'm.n as messages', sql<ErasureDeliveryRow[] | null>`(select json_agg(o) from o)`.as('copies')]),
);
