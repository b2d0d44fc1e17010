import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createChat, createFlow, createThread, postMessage } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';

const ENTITIES = /* GraphQL */ `
  query($reps: [_Any!]!) {
    _entities(representations: $reps) {
      __typename
      ... on Chat { id title messageCount }
      ... on Flow { id name }
      ... on Thread { id title }
      ... on Message { id content }
    }
  }
`;

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => t.close());

describe('federation subgraph', () => {
  it('serves its SDL with @key on every entity', async () => {
    const { body } = await t.gql('{ _service { sdl } }');
    const sdl: string = body.data._service.sdl;
    for (const type of ['Flow', 'Chat', 'Thread', 'Message', 'Stream']) {
      expect(sdl).toMatch(new RegExp(`type ${type}\\s+@key\\(fields: "id"\\)`));
    }
  });

  it('resolves N chats in one SQL query for the entities and one for their counts', async () => {
    const flowId = await createFlow(t);
    const chatIds: string[] = [];
    for (let i = 0; i < 25; i++) {
      const chatId = await createChat(t, flowId, `chat ${i}`);
      await postMessage(t, await createThread(t, chatId), { content: `m${i}` });
      chatIds.push(chatId);
    }
    t.queries.length = 0;
    const { body } = await t.gql(ENTITIES, { reps: chatIds.map((id) => ({ __typename: 'Chat', id })) });
    expect(body.data._entities.map((e: { id: string }) => e.id)).toEqual(chatIds);
    expect(body.data._entities.every((e: { messageCount: number }) => e.messageCount === 1)).toBe(true);
    const reads = t.queries.filter((q) => /^select/i.test(q) && !/api_keys/.test(q));
    expect(reads).toHaveLength(2);
  });

  it('scopes entities to the tenant of the key: another tenant’s ids resolve to null', async () => {
    const flowId = await createFlow(t);
    const chatId = await createChat(t, flowId);
    const threadId = await createThread(t, chatId);
    const messageId = await postMessage(t, threadId, { content: 'private' });
    const reps = [
      { __typename: 'Flow', id: flowId },
      { __typename: 'Chat', id: chatId },
      { __typename: 'Thread', id: threadId },
      { __typename: 'Message', id: messageId },
    ];
    const mine = await t.gql(ENTITIES, { reps });
    expect(mine.body.data._entities.map((e: { __typename: string }) => e.__typename)).toEqual(['Flow', 'Chat', 'Thread', 'Message']);
    const theirs = await t.gql(ENTITIES, { reps }, { key: t.keys.b });
    expect(theirs.body.data._entities).toEqual([null, null, null, null]);
  });
});
