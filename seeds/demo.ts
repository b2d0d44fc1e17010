import { insertChat } from '../src/data/chats.repository.ts';
import { insertFlow } from '../src/data/flows.repository.ts';
import { insertMessage } from '../src/data/messages.repository.ts';
import type { Db } from '../src/data/db.ts';
import { insertStream, insertStreamEvent } from '../src/data/streams.repository.ts';
import type { MessageRow } from '../src/data/tables.ts';
import { countTenants, insertApiKey, insertTenant } from '../src/data/tenants.repository.ts';
import { insertThread } from '../src/data/threads.repository.ts';
import { ALL_PERMISSIONS, hashKey } from '../src/domain/api-keys.ts';

// Deterministic demo data: the same ids, times and keys on every run, so the README's
// examples work as printed. Chat a1b2c3d4-… is the id of seed 001's own example.

export const DEMO_KEYS = {
  acme: { tenant: 'acme', name: 'acme-demo', key: 'cgw_demo_acme_2f6c1d9a' },
  globex: { tenant: 'globex', name: 'globex-demo', key: 'cgw_demo_globex_8b3e7f04' },
} as const;

export const DEMO_IDS = {
  acmeTenant: '0190a000-0000-7000-8000-000000000001',
  globexTenant: '0190a000-0000-7000-8000-000000000002',
  supportFlow: '0190a000-0000-7000-8000-00000000f001',
  researchFlow: '0190a000-0000-7000-8000-00000000f002',
  globexFlow: '0190a000-0000-7000-8000-00000000f003',
  onboardingChat: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
  billingChat: '0190a000-0000-7000-8000-00000000c002',
  researchChat: '0190a000-0000-7000-8000-00000000c003',
  globexChat: '0190a000-0000-7000-8000-00000000c004',
  welcomeThread: '0190a000-0000-7000-8000-0000000000a1',
  passwordThread: '0190a000-0000-7000-8000-0000000000a2',
  refundThread: '0190a000-0000-7000-8000-0000000000a3',
  papersThread: '0190a000-0000-7000-8000-0000000000a4',
  globexThread: '0190a000-0000-7000-8000-0000000000a5',
  finishedStream: '0190a000-0000-7000-8000-0000000000e1',
} as const;

const T0 = Date.parse('2026-01-15T09:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const id = (n: number) => `0190a000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;

type Line = [role: MessageRow['role'], content: string, extra?: Partial<MessageRow>];

/** Loads the demo data into an empty database; returns false when it already holds tenants. */
export async function seedDemo(db: Db, onProgress?: (done: number, total: number) => void): Promise<boolean> {
  if ((await countTenants(db)) > 0) return false;
  await db.transaction().execute(async (trx) => {
    for (const [tenantId, demo] of [
      [DEMO_IDS.acmeTenant, DEMO_KEYS.acme],
      [DEMO_IDS.globexTenant, DEMO_KEYS.globex],
    ] as const) {
      await insertTenant(trx, { id: tenantId, name: demo.tenant, created_at: at(0) });
      await insertApiKey(trx, {
        id: id(0xeee0 + (tenantId === DEMO_IDS.acmeTenant ? 1 : 2)),
        tenant_id: tenantId,
        name: demo.name,
        key_hash: hashKey(demo.key),
        created_at: at(0),
        scopes: ALL_PERMISSIONS.join(','),
      });
    }
    const flows = [
      [DEMO_IDS.supportFlow, DEMO_IDS.acmeTenant, 'Support bot', 'CHATFLOW'],
      [DEMO_IDS.researchFlow, DEMO_IDS.acmeTenant, 'Research agent', 'AGENTFLOW'],
      [DEMO_IDS.globexFlow, DEMO_IDS.globexTenant, 'Globex helpdesk', 'CHATFLOW'],
    ] as const;
    for (const [flowId, tenantId, name, type] of flows) {
      await insertFlow(trx, { id: flowId, tenant_id: tenantId, name, type, created_at: at(1) });
    }
    const chats = [
      [DEMO_IDS.onboardingChat, DEMO_IDS.acmeTenant, DEMO_IDS.supportFlow, 'Onboarding questions'],
      [DEMO_IDS.billingChat, DEMO_IDS.acmeTenant, DEMO_IDS.supportFlow, 'Billing'],
      [DEMO_IDS.researchChat, DEMO_IDS.acmeTenant, DEMO_IDS.researchFlow, 'Literature review'],
      [DEMO_IDS.globexChat, DEMO_IDS.globexTenant, DEMO_IDS.globexFlow, 'Printer on fire'],
    ] as const;
    const threads: [string, string, string, string, Line[]][] = [
      [DEMO_IDS.welcomeThread, DEMO_IDS.onboardingChat, DEMO_IDS.supportFlow, 'Welcome', [
        ['USER', 'How do I invite my team?', { session_id: 'session-alice', memory_type: 'BufferMemory' }],
        ['ASSISTANT', 'Open Settings, then Members, then Invite.', { session_id: 'session-alice', memory_type: 'BufferMemory', feedback: 'THUMBS_UP' }],
        ['USER', 'Can guests see private chats?', { session_id: 'session-alice', memory_type: 'BufferMemory' }],
        ['ASSISTANT', 'Yes, all of them.', { session_id: 'session-alice', memory_type: 'BufferMemory', feedback: 'THUMBS_DOWN' }],
      ]],
      [DEMO_IDS.passwordThread, DEMO_IDS.onboardingChat, DEMO_IDS.supportFlow, 'Password reset', [
        ['USER', 'I forgot my password.', { session_id: 'session-bob', chat_type: 'EXTERNAL' }],
        ['ASSISTANT', 'Use the reset link on the sign-in page.', { session_id: 'session-bob', chat_type: 'EXTERNAL' }],
      ]],
      [DEMO_IDS.refundThread, DEMO_IDS.billingChat, DEMO_IDS.supportFlow, 'Refund', [
        ['USER', 'Please refund my last invoice.', { session_id: 'session-carol', chat_type: 'EXTERNAL' }],
        ['ASSISTANT', 'Refunds take five business days.', { session_id: 'session-carol', chat_type: 'EXTERNAL', feedback: 'THUMBS_DOWN' }],
      ]],
      [DEMO_IDS.papersThread, DEMO_IDS.researchChat, DEMO_IDS.researchFlow, 'Papers', [
        ['USER', 'Summarise recent work on retrieval.', { memory_type: 'VectorMemory' }],
      ]],
      [DEMO_IDS.globexThread, DEMO_IDS.globexChat, DEMO_IDS.globexFlow, 'Fire', [
        ['USER', 'The printer is on fire.'],
        ['ASSISTANT', 'Please leave the building.'],
      ]],
    ];
    // A chat's version counts its creation, each thread created and each message posted.
    for (const [chatId, tenantId, flowId, title] of chats) {
      const own = threads.filter((th) => th[1] === chatId);
      const streamMessages = chatId === DEMO_IDS.researchChat ? 2 : 0;
      const version = 1 + own.reduce((sum, th) => sum + 1 + th[4].length, 0) + streamMessages;
      await insertChat(trx, { id: chatId, tenant_id: tenantId, flow_id: flowId, title, version, created_at: at(2), updated_at: at(2), deleted_at: null });
    }
    let n = 0x1000;
    let minute = 10;
    for (const [index, [threadId, chatId, flowId, title, lines]] of threads.entries()) {
      onProgress?.(index, threads.length);
      const tenantId = chatId === DEMO_IDS.globexChat ? DEMO_IDS.globexTenant : DEMO_IDS.acmeTenant;
      await insertThread(trx, {
        id: threadId, tenant_id: tenantId, chat_id: chatId, flow_id: flowId, title,
        metadata: JSON.stringify({ source: 'demo' }), version: 1 + lines.length,
        created_at: at(minute), updated_at: at(minute + lines.length),
        deleted_at: null, restore_until: null, deleted_by: null,
      });
      for (const [role, content, extra] of lines) {
        minute += 1;
        await insertMessage(trx, {
          id: id(n++), tenant_id: tenantId, flow_id: flowId, chat_id: chatId, thread_id: threadId,
          role, content, session_id: null, memory_type: null, chat_type: 'INTERNAL', feedback: null,
          created_at: at(minute), ...extra,
        });
      }
      minute += 5;
    }
    // A finished stream in the research thread: prompt, echoed reply and its cached events.
    const prompt = 'Which papers should I read first?';
    const promptId = id(n++);
    const replyId = id(n++);
    const base = { tenant_id: DEMO_IDS.acmeTenant, flow_id: DEMO_IDS.researchFlow, chat_id: DEMO_IDS.researchChat, thread_id: DEMO_IDS.papersThread, session_id: null, memory_type: null, chat_type: 'INTERNAL' as const, feedback: null };
    await insertMessage(trx, { ...base, id: promptId, role: 'USER', content: prompt, created_at: at(minute) });
    await insertMessage(trx, { ...base, id: replyId, role: 'ASSISTANT', content: prompt, created_at: at(minute + 1) });
    await insertStream(trx, {
      id: DEMO_IDS.finishedStream, tenant_id: DEMO_IDS.acmeTenant, chat_id: DEMO_IDS.researchChat,
      thread_id: DEMO_IDS.papersThread, status: 'COMPLETED', version: 9, prompt_message_id: promptId,
      message_id: replyId, created_at: at(minute), started_at: at(minute), finished_at: at(minute + 1),
    });
    const words = prompt.split(' ');
    const events = [
      ['STARTED', null],
      ...words.map((w, i) => ['TOKEN', i === 0 ? w : ` ${w}`] as const),
      ['COMPLETED', null],
    ] as const;
    for (const [seq, [type, data]] of events.entries()) {
      await insertStreamEvent(trx, { stream_id: DEMO_IDS.finishedStream, seq: seq + 1, type, data, at: at(minute) });
    }
  });
  return true;
}
