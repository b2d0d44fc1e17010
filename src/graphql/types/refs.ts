import { type Chat, getChats } from '../../domain/chats.ts';
import { type Flow, getFlows } from '../../domain/flows.ts';
import { type Message, getMessages } from '../../domain/messages.ts';
import { type Thread, getThreads } from '../../domain/threads.ts';
import { builder } from '../builder.ts';

// The entities' refs and connections, which the types point at one another through (a
// flow's chats, a chat's flow and threads, a thread's chat and messages, a message's
// thread): declared here, each type's own file implements its fields, and no file needs
// another at run time.

export const FlowRef = builder.loadableObjectRef<Flow, string>('Flow', {
  load: async (ids, ctx) => getFlows(ctx.deps, ctx.scope, ids),
  sort: (flow) => flow.id,
});

export const ChatRef = builder.loadableObjectRef<Chat, string>('Chat', {
  load: async (ids, ctx) => getChats(ctx.deps, ctx.scope, ids),
  sort: (chat) => chat.id,
});

export const ThreadRef = builder.loadableObjectRef<Thread, string>('Thread', {
  load: async (ids, ctx) => getThreads(ctx.deps, ctx.scope, ids),
  sort: (thread) => thread.id,
});

export const MessageRef = builder.loadableObjectRef<Message, string>('Message', {
  load: async (ids, ctx) => getMessages(ctx.deps, ctx.scope, ids),
  sort: (message) => message.id,
});

export const ChatConnection = builder.connectionObject({ type: ChatRef, name: 'ChatConnection' }, { name: 'ChatEdge' });

export const ThreadConnection = builder.connectionObject({ type: ThreadRef, name: 'ThreadConnection' }, { name: 'ThreadEdge' });

export const MessageConnection = builder.connectionObject({ type: MessageRef, name: 'MessageConnection' }, { name: 'MessageEdge' });
