import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { chatWithMessages, createChat, createThread, postMessage } from '../helpers/fixtures.ts';
import { type TestServer, startTestServer } from '../helpers/server.ts';
import {
  CHAT_EVENTS,
  type LiveSub,
  Opened,
  type Transport,
  activeConnections,
  connectionsReach,
  deleteChat,
  deleteThread,
  openSub,
  poll,
  readChat,
  wsClient,
} from './live.ts';

// Issue 3, "Done when": real clients on a real port, an SSE client and a graphql-ws
// client, each: subscribe, see events, be counted, disconnect, stop being counted;
// conflict then forced delete. docs/design.md#live-connections and #deletechat.

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ALL: Transport[] = ['sse', 'graphql-sse', 'ws'];

let t: TestServer;
let opened: Opened;
beforeEach(async () => {
  t = await startTestServer();
  opened = new Opened();
});
afterEach(async () => {
  await opened.closeAll();
  await t.close();
});

async function watch(transport: Transport, chatId: string, key?: string | null): Promise<LiveSub> {
  return opened.track(await openSub(t, transport, CHAT_EVENTS, { chatId }, { key }));
}

const shape = (e: any) => ({ type: e.type, chatId: e.chatId, threadId: e.threadId, messageId: e.messageId, streamId: e.streamId });

describe.each(ALL)('chatEvents over %s', (transport) => {
  it('delivers the events of its chat only, counts as a live connection, and stops counting once the client disconnects', async () => {
    const { flowId, chatId } = await chatWithMessages(t, 1);
    const otherChatId = await createChat(t, flowId, 'Other chat');
    expect(await activeConnections(t, chatId)).toBe(0);

    const sub = await watch(transport, chatId);
    expect(await connectionsReach(t, chatId, 1)).toBe(1);
    expect(await activeConnections(t, otherChatId)).toBe(0);

    const threadId = await createThread(t, chatId, 'New thread');
    const messageId = await postMessage(t, threadId, { content: 'live hello' });
    // Another chat's activity never reaches this subscriber.
    const otherThread = await createThread(t, otherChatId, 'Elsewhere');
    await postMessage(t, otherThread, { content: 'not for you' });

    await sub.waitForEvents(2);
    await sleep(100);
    expect(sub.events.map(shape)).toEqual([
      { type: 'THREAD_CREATED', chatId, threadId, messageId: null, streamId: null },
      { type: 'MESSAGE_POSTED', chatId, threadId, messageId, streamId: null },
    ]);
    for (const e of sub.events) expect(e.at).toMatch(ISO_MS);
    expect(sub.errors).toEqual([]);
    expect(sub.state()).toBe('open');
    expect(await activeConnections(t, chatId)).toBe(1);

    await sub.close();
    expect(await connectionsReach(t, chatId, 0)).toBe(0);
  });

  it('counts every open subscriber and only those still open', async () => {
    const { chatId } = await chatWithMessages(t, 0);
    const first = await watch(transport, chatId);
    const second = await watch(transport, chatId);
    expect(await connectionsReach(t, chatId, 2)).toBe(2);

    await first.close();
    expect(await connectionsReach(t, chatId, 1)).toBe(1);
    // The one left still hears the chat.
    const threadId = await createThread(t, chatId, 'After the first left');
    expect(await second.waitForEvent((e) => e.type === 'THREAD_CREATED')).toMatchObject({ threadId });
    expect(first.events).toEqual([]);

    await second.close();
    expect(await connectionsReach(t, chatId, 0)).toBe(0);
  });

  it('deleteChat with subscribers: ConflictError ACTIVE_CONNECTIONS and nothing changed; force: true sends CHAT_DELETED, completes them and deletes', async () => {
    const { chatId, threadId } = await chatWithMessages(t, 3);
    const subs = [await watch(transport, chatId), await watch(transport, chatId)];
    expect(await connectionsReach(t, chatId, 2)).toBe(2);
    const before = await readChat(t, chatId);
    expect(before).toMatchObject({ id: chatId, messageCount: 3, activeConnections: 2 });

    const refused = await deleteChat(t, chatId);
    expect(refused).toMatchObject({ __typename: 'ConflictError', reason: 'ACTIVE_CONNECTIONS', activeConnections: 2 });
    // Nothing changed: same chat, same messages, same version, subscribers untouched.
    expect(await readChat(t, chatId)).toEqual(before);
    const audit = await t.gql(`{ auditLog(first: 50) { edges { node { action targetId } } } }`);
    expect(audit.body.data.auditLog.edges.map((e: any) => e.node)).not.toContainEqual({ action: 'chat.delete', targetId: chatId });
    for (const s of subs) expect(s.state()).toBe('open');

    const forced = await deleteChat(t, chatId, { force: true });
    expect(forced).toMatchObject({
      __typename: 'DeleteChatSuccess',
      success: true,
      message: 'Chat deleted successfully',
      chatId,
      closedConnections: 2,
      deletedThreadCount: 1,
      deletedMessageCount: 3,
    });
    for (const s of subs) {
      expect(await s.waitForEnd(2000)).toBe('completed');
      expect(s.events.map(shape)).toEqual([{ type: 'CHAT_DELETED', chatId, threadId: null, messageId: null, streamId: null }]);
      expect(s.errors).toEqual([]);
    }
    expect(await readChat(t, chatId)).toBeNull();
    expect(await t.app.live.activeConnections(chatId)).toBe(0);
    const rows = await t.app.deps.store.db.selectFrom('messages').select('id').where('thread_id', '=', threadId).execute();
    expect(rows).toEqual([]);

    // A new subscription to the deleted chat is refused, not counted.
    const late = await watch(transport, chatId);
    await late.waitForEnd(2000);
    expect(late.events).toEqual([]);
    expect(late.errors.map((e: any) => e?.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(await t.app.live.activeConnections(chatId)).toBe(0);
  });

  it('a deleteChat refused for live connections emits no CHAT_DELETED (events only after commit)', async () => {
    const { chatId } = await chatWithMessages(t, 1);
    const sub = await watch(transport, chatId);
    expect(await connectionsReach(t, chatId, 1)).toBe(1);
    expect(await deleteChat(t, chatId)).toMatchObject({ __typename: 'ConflictError', reason: 'ACTIVE_CONNECTIONS', activeConnections: 1 });
    await sleep(100);
    expect(sub.events).toEqual([]);
    expect(sub.state()).toBe('open');
    expect(await activeConnections(t, chatId)).toBe(1);
  });
});

describe('chatEvents, mixed transports', () => {
  it('counts SSE, graphql-sse and WebSocket subscribers together and force-closes all of them', async () => {
    const { chatId } = await chatWithMessages(t, 2);
    const subs = [];
    for (const transport of ALL) subs.push(await watch(transport, chatId));
    expect(await connectionsReach(t, chatId, 3)).toBe(3);
    expect(await deleteChat(t, chatId)).toMatchObject({ __typename: 'ConflictError', reason: 'ACTIVE_CONNECTIONS', activeConnections: 3 });
    expect(await deleteChat(t, chatId, { force: true })).toMatchObject({ __typename: 'DeleteChatSuccess', closedConnections: 3 });
    for (const s of subs) {
      expect(await s.waitForEnd(2000)).toBe('completed');
      expect(s.events.map((e) => e.type)).toEqual(['CHAT_DELETED']);
    }
    expect(await readChat(t, chatId)).toBeNull();
  });

  it('a chat whose subscribers have all left is deleted without force, and reports 0 closed connections', async () => {
    const { chatId } = await chatWithMessages(t, 1);
    const subs = [await watch('sse', chatId), await watch('ws', chatId)];
    expect(await connectionsReach(t, chatId, 2)).toBe(2);
    for (const s of subs) await s.close();
    expect(await connectionsReach(t, chatId, 0)).toBe(0);
    expect(await deleteChat(t, chatId)).toMatchObject({ __typename: 'DeleteChatSuccess', closedConnections: 0 });
  });
});

describe('chatEvents over one shared WebSocket', () => {
  it('unsubscribing ends that subscription\'s count while the socket and its other subscription stay live', async () => {
    const { flowId, chatId } = await chatWithMessages(t, 0);
    const otherChatId = await createChat(t, flowId, 'Other');
    const client = opened.client(wsClient(t));
    const x = opened.track(await openSub(t, 'ws', CHAT_EVENTS, { chatId }, { wsClient: client }));
    const y = opened.track(await openSub(t, 'ws', CHAT_EVENTS, { chatId: otherChatId }, { wsClient: client }));
    expect(await connectionsReach(t, chatId, 1)).toBe(1);
    expect(await connectionsReach(t, otherChatId, 1)).toBe(1);

    await x.close(); // sends Complete for x only
    expect(await connectionsReach(t, chatId, 0)).toBe(0);
    expect(await activeConnections(t, otherChatId)).toBe(1);

    const threadId = await createThread(t, otherChatId, 'still listening');
    expect(await y.waitForEvent((e) => e.type === 'THREAD_CREATED')).toMatchObject({ chatId: otherChatId, threadId });
    expect(y.state()).toBe('open');
  });
});

describe.each<Transport>(['sse', 'ws'])('events after commit only, over %s', (transport) => {
  it('failed writes (version mismatches) emit nothing', async () => {
    const { chatId, threadId } = await chatWithMessages(t, 1);
    const sub = await watch(transport, chatId);
    expect(await connectionsReach(t, chatId, 1)).toBe(1);
    const chat = await readChat(t, chatId);

    expect(await deleteChat(t, chatId, { force: true, expectedVersion: chat.version + 7 })).toMatchObject({
      __typename: 'ConflictError',
      reason: 'VERSION_MISMATCH',
      currentVersion: chat.version,
    });
    expect(await deleteThread(t, threadId, { expectedVersion: 999 })).toMatchObject({ __typename: 'ConflictError', reason: 'VERSION_MISMATCH' });
    await sleep(100);
    expect(sub.events).toEqual([]);
    expect(sub.state()).toBe('open');
    expect(await readChat(t, chatId)).toEqual(chat);
  });

  it('when an event arrives, the write it reports is already readable', async () => {
    const { chatId, threadId } = await chatWithMessages(t, 0);
    const sub = await watch(transport, chatId);
    expect(await connectionsReach(t, chatId, 1)).toBe(1);
    // Read back as soon as each event arrives, without waiting for the mutation's response.
    const seen: Promise<unknown>[] = [];
    sub.onEvent((e) => {
      if (e.type === 'MESSAGE_POSTED') {
        seen.push(
          t
            .gql(`query($id: ID!) { thread(id: $id) { messages(first: 50) { edges { node { id } } } } }`, { id: e.threadId })
            .then((r) => r.body.data.thread.messages.edges.map((x: any) => x.node.id).includes(e.messageId)),
        );
      }
      if (e.type === 'THREAD_DELETED') {
        seen.push(t.gql(`query($id: ID!) { thread(id: $id) { id } }`, { id: e.threadId }).then((r) => r.body.data.thread === null));
      }
    });
    await postMessage(t, threadId, { content: 'read me back' });
    await sub.waitForEvents(1);
    expect(await Promise.all(seen)).toEqual([true]);
    expect((await deleteThread(t, threadId)).__typename).toBe('DeleteThreadSuccess');
    await sub.waitForEvents(2);
    expect(sub.events.map((e) => e.type)).toEqual(['MESSAGE_POSTED', 'THREAD_DELETED']);
    expect(await Promise.all(seen)).toEqual([true, true]);
  });
});

describe('a WebSocket client that vanishes', () => {
  it('without a close frame (TCP connection destroyed) stops being counted promptly', async () => {
    const { chatId } = await chatWithMessages(t, 0);
    const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws');
    try {
      await once(socket, 'open');
      const messages: any[] = [];
      socket.on('message', (data) => messages.push(JSON.parse(String(data))));
      socket.send(JSON.stringify({ type: 'connection_init', payload: { 'x-api-key': t.keys.a } }));
      await poll(() => messages.some((m) => m.type === 'connection_ack'), Boolean, 2000);
      expect(messages.map((m) => m.type)).toEqual(['connection_ack']);
      socket.send(JSON.stringify({ id: 'sub-1', type: 'subscribe', payload: { query: CHAT_EVENTS, variables: { chatId } } }));
      expect(await connectionsReach(t, chatId, 1)).toBe(1);
      const threadId = await createThread(t, chatId, 'heard');
      await poll(() => messages.some((m) => m.type === 'next'), Boolean, 2000);
      expect(messages.find((m) => m.type === 'next')).toMatchObject({ id: 'sub-1', payload: { data: { chatEvents: { type: 'THREAD_CREATED', threadId } } } });

      socket.terminate(); // no close frame, no Complete: the client is just gone
      expect(await connectionsReach(t, chatId, 0)).toBe(0);
    } finally {
      socket.terminate();
    }
  });
});
