// The operations GraphiQL opens with: look around, then try each delete on demo data.
export const EXAMPLE_OPERATIONS = /* GraphQL */ `# chat-gateway: every delete returns a union; ask for each member you handle.
# Run "Chats" first, then paste an id into the delete you want to try.

query Chats {
  chats(first: 5) {
    edges { node { id title version messageCount threads(first: 5) { edges { node { id title messageCount } } } } }
  }
}

mutation DeleteChat($id: ID!) {
  deleteChat(id: $id) {
    __typename
    ... on DeleteChatSuccess { success message deletedAt deletedThreadCount deletedMessageCount }
    ... on NotFoundError { message resourceType id }
    ... on ConflictError { message reason activeConnections currentVersion }
    ... on ValidationError { message fieldErrors { path message } }
  }
}

mutation DeleteThread($id: ID!) {
  deleteThread(id: $id) {
    __typename
    ... on DeleteThreadSuccess { id deleted object softDelete canRestore restoreUntil deletedMessageCount }
    ... on Error { message }
  }
}

mutation DeleteMessages($flowId: ID!) {
  deleteMessages(flowId: $flowId, filter: { feedbackTypes: [THUMBS_DOWN] }) {
    __typename
    ... on DeleteMessagesSuccess { affected hardDelete }
    ... on Error { message }
  }
}

mutation StartStream($threadId: ID!) {
  startStream(input: { threadId: $threadId, prompt: "say something worth deleting" }) {
    __typename
    ... on StartStreamSuccess { stream { id status } }
    ... on Error { message }
  }
}

# Run StartStream, paste its stream id here, then run this: events arrive as they are made.
subscription WatchStream($streamId: ID!) {
  streamEvents(id: $streamId) { seq type data at }
}

mutation DeleteStream($streamId: ID!) {
  deleteStream(id: $streamId) {
    __typename
    ... on DeleteStreamSuccess { previousStatus cancelled deletedEventCount }
    ... on Error { message }
  }
}
`;
