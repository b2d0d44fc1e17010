import { graphql } from './gql/index.js';

// Every operation the example sends. `npm run codegen` reads these strings and writes their
// result and variable types to src/gql/; graphql() then returns a typed document for each.

// ---- setup: a flow, a chat, two threads, messages and a stream of the example's own ----

export const CreateFlow = graphql(`
  mutation CreateFlow($input: CreateFlowInput!) {
    createFlow(input: $input) {
      __typename
      ... on CreateFlowSuccess { flow { id name } }
      ... on ValidationError { message }
    }
  }
`);

export const CreateChat = graphql(`
  mutation CreateChat($input: CreateChatInput!) {
    createChat(input: $input) {
      __typename
      ... on CreateChatSuccess { chat { id title version } }
      ... on Error { message }
    }
  }
`);

export const CreateThread = graphql(`
  mutation CreateThread($input: CreateThreadInput!) {
    createThread(input: $input) {
      __typename
      ... on CreateThreadSuccess { thread { id title version } }
      ... on Error { message }
    }
  }
`);

export const PostMessage = graphql(`
  mutation PostMessage($input: PostMessageInput!) {
    postMessage(input: $input) {
      __typename
      ... on PostMessageSuccess { posted: message { id role } }
      ... on Error { message }
    }
  }
`);

export const StartStream = graphql(`
  mutation StartStream($input: StartStreamInput!) {
    startStream(input: $input) {
      __typename
      ... on StartStreamSuccess { stream { id status } }
      ... on Error { message }
    }
  }
`);

export const StreamStatus = graphql(`
  query StreamStatus($id: ID!) {
    stream(id: $id) { id status version eventCount }
  }
`);

export const ThreadMessageCount = graphql(`
  query ThreadMessageCount($id: ID!) {
    thread(id: $id) { id messageCount }
  }
`);

// ---- the four deletes: every member of each result union is selected ----

export const DeleteChat = graphql(`
  mutation DeleteChat($id: ID!, $expectedVersion: Int, $force: Boolean) {
    deleteChat(id: $id, expectedVersion: $expectedVersion, force: $force) {
      __typename
      ... on DeleteChatSuccess {
        chatId
        success
        message
        deletedThreadCount
        deletedMessageCount
        cancelledStreamCount
        closedConnections
        auditEntry { id action }
      }
      ... on NotFoundError { message resourceType id }
      ... on ConflictError { message reason activeConnections currentVersion }
      ... on ValidationError { message fieldErrors { path message } }
    }
  }
`);

export const DeleteThread = graphql(`
  mutation DeleteThread($id: ID!, $permanent: Boolean, $expectedVersion: Int) {
    deleteThread(id: $id, permanent: $permanent, expectedVersion: $expectedVersion) {
      __typename
      ... on DeleteThreadSuccess {
        threadId
        message
        softDelete
        permanentDelete
        canRestore
        restoreUntil
        deletedMessageCount
        auditEntry { id action }
      }
      ... on NotFoundError { message resourceType id }
      ... on ConflictError { message reason currentVersion }
      ... on ValidationError { message fieldErrors { path message } }
    }
  }
`);

export const DeleteStream = graphql(`
  mutation DeleteStream($id: ID!, $expectedVersion: Int) {
    deleteStream(id: $id, expectedVersion: $expectedVersion) {
      __typename
      ... on DeleteStreamSuccess {
        streamId
        previousStatus
        cancelled
        deletedEventCount
        auditEntry { id action }
      }
      ... on NotFoundError { message resourceType id }
      ... on ConflictError { message reason currentVersion }
      ... on ValidationError { message fieldErrors { path message } }
    }
  }
`);

export const DeleteMessages = graphql(`
  mutation DeleteMessages($flowId: ID!, $filter: MessageFilter, $hardDelete: Boolean) {
    deleteMessages(flowId: $flowId, filter: $filter, hardDelete: $hardDelete) {
      __typename
      ... on DeleteMessagesSuccess {
        affected
        hardDelete
        erasedEventCount
        auditEntry { id action }
      }
      ... on NotFoundError { message resourceType id }
      ... on ConflictError { message reason }
      ... on ValidationError { message fieldErrors { path message } }
    }
  }
`);
