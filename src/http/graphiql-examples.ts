// The operations GraphiQL opens with: look around, then try each delete on demo data.
export const EXAMPLE_OPERATIONS = /* GraphQL */ `# chat-gateway: every delete returns a union; ask for each member you handle.
# Run "Chats" first, then paste an id into the delete you want to try.

query Chats {
  chats(first: 5) {
    edges { node { id title version messageCount threads(first: 5) { edges { node { id title messageCount } } } } }
  }
}

# Export before delete: the whole chat as JSON (threads, soft-deleted ones marked, and every
# message). Past 10,000 messages, GET /api/v1/chats/{id}/export streams it as NDJSON instead.
query ExportChat($id: ID!) {
  exportChat(id: $id) { chatId exportedAt format data }
}

mutation DeleteChat($id: ID!) {
  deleteChat(id: $id) {
    __typename
    ... on DeleteChatSuccess {
      success message deletedAt deletedThreadCount deletedMessageCount
      receipt { id status counts copies { name status attempts lastError } }
    }
    ... on NotFoundError { message resourceType id }
    ... on ConflictError { message reason activeConnections currentVersion holdIds }
    ... on ValidationError { message fieldErrors { path message } }
  }
}

# What deleteChat would answer now (counts, conflicts, a legal hold), with nothing changed.
mutation DeleteChatDryRun($id: ID!) {
  deleteChat(id: $id, dryRun: true) {
    __typename
    ... on DeleteChatSuccess { dryRun deletedThreadCount deletedMessageCount cancelledStreamCount auditEntry { id } receipt { id } }
    ... on ConflictError { message reason activeConnections holdIds }
    ... on Error { message }
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

# Copies elsewhere (admin key; the server's ERASURE_TARGET_HOSTS must allow the host):
# every later permanent delete of the flow also erases what the target holds.
mutation AddErasureTarget($flowId: ID!) {
  addErasureTarget(input: {
    flowId: $flowId, kind: REDIS, name: "chat memory",
    url: "redis://127.0.0.1:6379/0", keyPattern: "memory:{sessionId}"
  }) {
    __typename
    ... on AddErasureTargetSuccess { target { id kind name url keyPattern } }
    ... on Error { message }
    ... on ValidationError { fieldErrors { path message } }
  }
}

# A person asks to be forgotten: every message of their session id in every flow.
mutation EraseSubject {
  eraseSubject(sessionId: "user-42", dryRun: true) {
    __typename
    ... on EraseSubjectSuccess { sessionId dryRun affected flowCount receipt { id status copies { name status } } }
    ... on ConflictError { message reason holdIds }
    ... on ValidationError { fieldErrors { path message } }
  }
}

# Retention (admin key): chats older than their policy are erased by the server's timer.
mutation SetRetentionPolicy {
  setRetentionPolicy(input: { maxAgeDays: 90 }) {
    __typename
    ... on SetRetentionPolicySuccess { policy { id flowId maxAgeDays updatedAt } }
    ... on ValidationError { fieldErrors { path message } }
  }
}

# What a run would erase now; nothing changes. Without dryRun it erases.
mutation RunRetention {
  runRetention(dryRun: true) {
    __typename
    ... on RunRetentionSuccess { dryRun erasedChatCount erasedMessageCount heldChatCount }
    ... on ValidationError { fieldErrors { path message } }
  }
}

# Paste a delete's receipt id: PENDING until every copy is confirmed erased.
query Receipt($id: ID!) {
  erasureReceipt(id: $id) { status requestedAt completedAt counts copies { name status attempts lastError completedAt } auditEntryId }
}

# Legal holds (admin key): while active, nothing the hold covers can be erased; every
# delete of it answers ConflictError LEGAL_HOLD with its id. A soft delete still works.
mutation PlaceLegalHold($chatId: String!) {
  placeLegalHold(input: { scope: CHAT, targetId: $chatId, reason: "Litigation hold, case 2026-117" }) {
    __typename
    ... on PlaceLegalHoldSuccess { hold { id scope targetId reason createdAt createdBy } }
    ... on NotFoundError { message resourceType id }
    ... on ValidationError { fieldErrors { path message } }
  }
}

query ActiveLegalHolds {
  legalHolds(active: true, first: 20) { edges { node { id scope targetId reason createdAt createdBy } } pageInfo { hasNextPage endCursor } }
}

mutation ReleaseLegalHold($holdId: ID!) {
  releaseLegalHold(id: $holdId) {
    __typename
    ... on ReleaseLegalHoldSuccess { hold { id releasedAt } }
    ... on NotFoundError { message }
  }
}
`;
