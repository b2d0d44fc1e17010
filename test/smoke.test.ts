import { afterEach, beforeEach, expect, it } from 'vitest';
import { chatWithMessages } from './helpers/fixtures.ts';
import { type TestApp, startTestApp } from './helpers/harness.ts';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => t.close());

it('deletes a chat with its messages', async () => {
  const { chatId } = await chatWithMessages(t, 3);
  const { body } = await t.gql(`mutation($id: ID!) { deleteChat(id: $id) { __typename ... on DeleteChatSuccess { success message deletedMessageCount deletedThreadCount } } }`, { id: chatId });
  expect(body).toEqual({ data: { deleteChat: { __typename: 'DeleteChatSuccess', success: true, message: 'Chat deleted successfully', deletedMessageCount: 3, deletedThreadCount: 1 } } });
});
