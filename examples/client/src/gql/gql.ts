/* eslint-disable */
import * as types from './graphql.js';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation CreateFlow($input: CreateFlowInput!) {\n    createFlow(input: $input) {\n      __typename\n      ... on CreateFlowSuccess { flow { id name } }\n      ... on ValidationError { message }\n    }\n  }\n": typeof types.CreateFlowDocument,
    "\n  mutation CreateChat($input: CreateChatInput!) {\n    createChat(input: $input) {\n      __typename\n      ... on CreateChatSuccess { chat { id title version } }\n      ... on Error { message }\n    }\n  }\n": typeof types.CreateChatDocument,
    "\n  mutation CreateThread($input: CreateThreadInput!) {\n    createThread(input: $input) {\n      __typename\n      ... on CreateThreadSuccess { thread { id title version } }\n      ... on Error { message }\n    }\n  }\n": typeof types.CreateThreadDocument,
    "\n  mutation PostMessage($input: PostMessageInput!) {\n    postMessage(input: $input) {\n      __typename\n      ... on PostMessageSuccess { posted: message { id role } }\n      ... on Error { message }\n    }\n  }\n": typeof types.PostMessageDocument,
    "\n  mutation StartStream($input: StartStreamInput!) {\n    startStream(input: $input) {\n      __typename\n      ... on StartStreamSuccess { stream { id status } }\n      ... on Error { message }\n    }\n  }\n": typeof types.StartStreamDocument,
    "\n  query StreamStatus($id: ID!) {\n    stream(id: $id) { id status version eventCount }\n  }\n": typeof types.StreamStatusDocument,
    "\n  query ThreadMessageCount($id: ID!) {\n    thread(id: $id) { id messageCount }\n  }\n": typeof types.ThreadMessageCountDocument,
    "\n  mutation DeleteChat($id: ID!, $expectedVersion: Int, $force: Boolean) {\n    deleteChat(id: $id, expectedVersion: $expectedVersion, force: $force) {\n      __typename\n      ... on DeleteChatSuccess {\n        chatId\n        success\n        message\n        deletedThreadCount\n        deletedMessageCount\n        cancelledStreamCount\n        closedConnections\n        auditEntry { id action }\n      }\n      ... on NotFoundError { message resourceType id }\n      ... on ConflictError { message reason activeConnections currentVersion }\n      ... on ValidationError { message fieldErrors { path message } }\n    }\n  }\n": typeof types.DeleteChatDocument,
    "\n  mutation DeleteThread($id: ID!, $permanent: Boolean, $expectedVersion: Int) {\n    deleteThread(id: $id, permanent: $permanent, expectedVersion: $expectedVersion) {\n      __typename\n      ... on DeleteThreadSuccess {\n        threadId\n        message\n        softDelete\n        permanentDelete\n        canRestore\n        restoreUntil\n        deletedMessageCount\n        auditEntry { id action }\n      }\n      ... on NotFoundError { message resourceType id }\n      ... on ConflictError { message reason currentVersion }\n      ... on ValidationError { message fieldErrors { path message } }\n    }\n  }\n": typeof types.DeleteThreadDocument,
    "\n  mutation DeleteStream($id: ID!, $expectedVersion: Int) {\n    deleteStream(id: $id, expectedVersion: $expectedVersion) {\n      __typename\n      ... on DeleteStreamSuccess {\n        streamId\n        previousStatus\n        cancelled\n        deletedEventCount\n        auditEntry { id action }\n      }\n      ... on NotFoundError { message resourceType id }\n      ... on ConflictError { message reason currentVersion }\n      ... on ValidationError { message fieldErrors { path message } }\n    }\n  }\n": typeof types.DeleteStreamDocument,
    "\n  mutation DeleteMessages($flowId: ID!, $filter: MessageFilter, $hardDelete: Boolean) {\n    deleteMessages(flowId: $flowId, filter: $filter, hardDelete: $hardDelete) {\n      __typename\n      ... on DeleteMessagesSuccess {\n        affected\n        hardDelete\n        erasedEventCount\n        auditEntry { id action }\n      }\n      ... on NotFoundError { message resourceType id }\n      ... on ConflictError { message reason }\n      ... on ValidationError { message fieldErrors { path message } }\n    }\n  }\n": typeof types.DeleteMessagesDocument,
};
const documents: Documents = {
    "\n  mutation CreateFlow($input: CreateFlowInput!) {\n    createFlow(input: $input) {\n      __typename\n      ... on CreateFlowSuccess { flow { id name } }\n      ... on ValidationError { message }\n    }\n  }\n": types.CreateFlowDocument,
    "\n  mutation CreateChat($input: CreateChatInput!) {\n    createChat(input: $input) {\n      __typename\n      ... on CreateChatSuccess { chat { id title version } }\n      ... on Error { message }\n    }\n  }\n": types.CreateChatDocument,
    "\n  mutation CreateThread($input: CreateThreadInput!) {\n    createThread(input: $input) {\n      __typename\n      ... on CreateThreadSuccess { thread { id title version } }\n      ... on Error { message }\n    }\n  }\n": types.CreateThreadDocument,
    "\n  mutation PostMessage($input: PostMessageInput!) {\n    postMessage(input: $input) {\n      __typename\n      ... on PostMessageSuccess { posted: message { id role } }\n      ... on Error { message }\n    }\n  }\n": types.PostMessageDocument,
    "\n  mutation StartStream($input: StartStreamInput!) {\n    startStream(input: $input) {\n      __typename\n      ... on StartStreamSuccess { stream { id status } }\n      ... on Error { message }\n    }\n  }\n": types.StartStreamDocument,
    "\n  query StreamStatus($id: ID!) {\n    stream(id: $id) { id status version eventCount }\n  }\n": types.StreamStatusDocument,
    "\n  query ThreadMessageCount($id: ID!) {\n    thread(id: $id) { id messageCount }\n  }\n": types.ThreadMessageCountDocument,
    "\n  mutation DeleteChat($id: ID!, $expectedVersion: Int, $force: Boolean) {\n    deleteChat(id: $id, expectedVersion: $expectedVersion, force: $force) {\n      __typename\n      ... on DeleteChatSuccess {\n        chatId\n        success\n        message\n        deletedThreadCount\n        deletedMessageCount\n        cancelledStreamCount\n        closedConnections\n        auditEntry { id action }\n      }\n      ... on NotFoundError { message resourceType id }\n      ... on ConflictError { message reason activeConnections currentVersion }\n      ... on ValidationError { message fieldErrors { path message } }\n    }\n  }\n": types.DeleteChatDocument,
    "\n  mutation DeleteThread($id: ID!, $permanent: Boolean, $expectedVersion: Int) {\n    deleteThread(id: $id, permanent: $permanent, expectedVersion: $expectedVersion) {\n      __typename\n      ... on DeleteThreadSuccess {\n        threadId\n        message\n        softDelete\n        permanentDelete\n        canRestore\n        restoreUntil\n        deletedMessageCount\n        auditEntry { id action }\n      }\n      ... on NotFoundError { message resourceType id }\n      ... on ConflictError { message reason currentVersion }\n      ... on ValidationError { message fieldErrors { path message } }\n    }\n  }\n": types.DeleteThreadDocument,
    "\n  mutation DeleteStream($id: ID!, $expectedVersion: Int) {\n    deleteStream(id: $id, expectedVersion: $expectedVersion) {\n      __typename\n      ... on DeleteStreamSuccess {\n        streamId\n        previousStatus\n        cancelled\n        deletedEventCount\n        auditEntry { id action }\n      }\n      ... on NotFoundError { message resourceType id }\n      ... on ConflictError { message reason currentVersion }\n      ... on ValidationError { message fieldErrors { path message } }\n    }\n  }\n": types.DeleteStreamDocument,
    "\n  mutation DeleteMessages($flowId: ID!, $filter: MessageFilter, $hardDelete: Boolean) {\n    deleteMessages(flowId: $flowId, filter: $filter, hardDelete: $hardDelete) {\n      __typename\n      ... on DeleteMessagesSuccess {\n        affected\n        hardDelete\n        erasedEventCount\n        auditEntry { id action }\n      }\n      ... on NotFoundError { message resourceType id }\n      ... on ConflictError { message reason }\n      ... on ValidationError { message fieldErrors { path message } }\n    }\n  }\n": types.DeleteMessagesDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateFlow($input: CreateFlowInput!) {\n    createFlow(input: $input) {\n      __typename\n      ... on CreateFlowSuccess { flow { id name } }\n      ... on ValidationError { message }\n    }\n  }\n"): typeof import('./graphql.js').CreateFlowDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateChat($input: CreateChatInput!) {\n    createChat(input: $input) {\n      __typename\n      ... on CreateChatSuccess { chat { id title version } }\n      ... on Error { message }\n    }\n  }\n"): typeof import('./graphql.js').CreateChatDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateThread($input: CreateThreadInput!) {\n    createThread(input: $input) {\n      __typename\n      ... on CreateThreadSuccess { thread { id title version } }\n      ... on Error { message }\n    }\n  }\n"): typeof import('./graphql.js').CreateThreadDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PostMessage($input: PostMessageInput!) {\n    postMessage(input: $input) {\n      __typename\n      ... on PostMessageSuccess { posted: message { id role } }\n      ... on Error { message }\n    }\n  }\n"): typeof import('./graphql.js').PostMessageDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StartStream($input: StartStreamInput!) {\n    startStream(input: $input) {\n      __typename\n      ... on StartStreamSuccess { stream { id status } }\n      ... on Error { message }\n    }\n  }\n"): typeof import('./graphql.js').StartStreamDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query StreamStatus($id: ID!) {\n    stream(id: $id) { id status version eventCount }\n  }\n"): typeof import('./graphql.js').StreamStatusDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ThreadMessageCount($id: ID!) {\n    thread(id: $id) { id messageCount }\n  }\n"): typeof import('./graphql.js').ThreadMessageCountDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteChat($id: ID!, $expectedVersion: Int, $force: Boolean) {\n    deleteChat(id: $id, expectedVersion: $expectedVersion, force: $force) {\n      __typename\n      ... on DeleteChatSuccess {\n        chatId\n        success\n        message\n        deletedThreadCount\n        deletedMessageCount\n        cancelledStreamCount\n        closedConnections\n        auditEntry { id action }\n      }\n      ... on NotFoundError { message resourceType id }\n      ... on ConflictError { message reason activeConnections currentVersion }\n      ... on ValidationError { message fieldErrors { path message } }\n    }\n  }\n"): typeof import('./graphql.js').DeleteChatDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteThread($id: ID!, $permanent: Boolean, $expectedVersion: Int) {\n    deleteThread(id: $id, permanent: $permanent, expectedVersion: $expectedVersion) {\n      __typename\n      ... on DeleteThreadSuccess {\n        threadId\n        message\n        softDelete\n        permanentDelete\n        canRestore\n        restoreUntil\n        deletedMessageCount\n        auditEntry { id action }\n      }\n      ... on NotFoundError { message resourceType id }\n      ... on ConflictError { message reason currentVersion }\n      ... on ValidationError { message fieldErrors { path message } }\n    }\n  }\n"): typeof import('./graphql.js').DeleteThreadDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteStream($id: ID!, $expectedVersion: Int) {\n    deleteStream(id: $id, expectedVersion: $expectedVersion) {\n      __typename\n      ... on DeleteStreamSuccess {\n        streamId\n        previousStatus\n        cancelled\n        deletedEventCount\n        auditEntry { id action }\n      }\n      ... on NotFoundError { message resourceType id }\n      ... on ConflictError { message reason currentVersion }\n      ... on ValidationError { message fieldErrors { path message } }\n    }\n  }\n"): typeof import('./graphql.js').DeleteStreamDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteMessages($flowId: ID!, $filter: MessageFilter, $hardDelete: Boolean) {\n    deleteMessages(flowId: $flowId, filter: $filter, hardDelete: $hardDelete) {\n      __typename\n      ... on DeleteMessagesSuccess {\n        affected\n        hardDelete\n        erasedEventCount\n        auditEntry { id action }\n      }\n      ... on NotFoundError { message resourceType id }\n      ... on ConflictError { message reason }\n      ... on ValidationError { message fieldErrors { path message } }\n    }\n  }\n"): typeof import('./graphql.js').DeleteMessagesDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
