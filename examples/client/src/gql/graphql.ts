/* eslint-disable */
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = T | null | undefined;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** ISO-8601 UTC string with milliseconds, e.g. "2026-01-15T10:45:00.000Z" */
  DateTime: { input: string; output: string; }
  /** Any JSON value */
  JSON: { input: unknown; output: unknown; }
};

export type AddErasureTargetInput = {
  flowId: Scalars['ID']['input'];
  keyPattern?: InputMaybe<Scalars['String']['input']>;
  kind: ErasureTargetKind;
  name: Scalars['String']['input'];
  /** WEBHOOK: the HMAC-SHA256 signing secret */
  secret?: InputMaybe<Scalars['String']['input']>;
  url: Scalars['String']['input'];
};

export type ChatEventType =
  | 'CHAT_DELETED'
  | 'MESSAGES_DELETED'
  | 'MESSAGE_POSTED'
  | 'STREAM_DELETED'
  | 'STREAM_FINISHED'
  | 'STREAM_STARTED'
  | 'THREAD_CREATED'
  | 'THREAD_DELETED'
  | 'THREAD_RESTORED';

export type ChatType =
  | 'EXTERNAL'
  | 'INTERNAL';

export type ConflictReason =
  /** deleteChat while live subscriptions watch the chat and force is false */
  | 'ACTIVE_CONNECTIONS'
  /** deleteMessages would remove messages of a thread that a RUNNING stream is writing */
  | 'ACTIVE_STREAM'
  /** the delete would erase data under an active legal hold */
  | 'LEGAL_HOLD'
  /** expectedVersion was given and the resource's current version differs */
  | 'VERSION_MISMATCH';

export type CreateChatInput = {
  flowId: Scalars['ID']['input'];
  title?: InputMaybe<Scalars['String']['input']>;
};

export type CreateFlowInput = {
  name: Scalars['String']['input'];
  type: FlowType;
};

export type CreateThreadInput = {
  chatId: Scalars['ID']['input'];
  metadata?: InputMaybe<Scalars['JSON']['input']>;
  title?: InputMaybe<Scalars['String']['input']>;
};

export type ErasureStatus =
  | 'COMPLETE'
  | 'FAILED'
  | 'PENDING';

export type ErasureTargetKind =
  /** DEL of every key its keyPattern names, for each erased (sessionId, chatId, threadId, flowId) */
  | 'REDIS'
  /** a signed POST of the erasure event; a 2xx answer confirms it */
  | 'WEBHOOK';

export type FeedbackType =
  | 'THUMBS_DOWN'
  | 'THUMBS_UP';

export type FlowType =
  | 'AGENTFLOW'
  | 'CHATFLOW';

export type LegalHoldScope =
  | 'CHAT'
  | 'FLOW'
  /** targetId is a sessionId: that subject's messages in every flow */
  | 'SESSION';

/** Selects messages of one flow. Every given field must match; dates are inclusive. */
export type MessageFilter = {
  chatId?: InputMaybe<Scalars['ID']['input']>;
  chatTypes?: InputMaybe<Array<ChatType>>;
  /** a bare date means the end of that day (UTC) */
  endDate?: InputMaybe<Scalars['DateTime']['input']>;
  /** the rated messages and the USER message that prompted each of them */
  feedbackTypes?: InputMaybe<Array<FeedbackType>>;
  memoryType?: InputMaybe<Scalars['String']['input']>;
  sessionId?: InputMaybe<Scalars['String']['input']>;
  /** a bare date means the start of that day (UTC) */
  startDate?: InputMaybe<Scalars['DateTime']['input']>;
  threadId?: InputMaybe<Scalars['ID']['input']>;
};

export type MessageRole =
  | 'ASSISTANT'
  | 'SYSTEM'
  | 'TOOL'
  | 'USER';

export type PlaceLegalHoldInput = {
  reason: Scalars['String']['input'];
  scope: LegalHoldScope;
  targetId: Scalars['String']['input'];
};

export type PostMessageInput = {
  chatType?: InputMaybe<ChatType>;
  content: Scalars['String']['input'];
  /** defaults to now; lets importers keep original times */
  createdAt?: InputMaybe<Scalars['DateTime']['input']>;
  feedback?: InputMaybe<FeedbackType>;
  memoryType?: InputMaybe<Scalars['String']['input']>;
  role: MessageRole;
  sessionId?: InputMaybe<Scalars['String']['input']>;
  threadId: Scalars['ID']['input'];
};

export type ResourceType =
  | 'CHAT'
  | 'DELETION_JOB'
  | 'ERASURE_TARGET'
  | 'FLOW'
  | 'LEGAL_HOLD'
  | 'MESSAGE'
  | 'RECEIPT'
  | 'RETENTION_POLICY'
  | 'STREAM'
  | 'THREAD';

export type SetRetentionPolicyInput = {
  flowId?: InputMaybe<Scalars['ID']['input']>;
  maxAgeDays: Scalars['Int']['input'];
};

export type StartStreamInput = {
  prompt: Scalars['String']['input'];
  threadId: Scalars['ID']['input'];
};

export type StreamEventType =
  | 'CANCELLED'
  | 'COMPLETED'
  | 'DELETED'
  | 'FAILED'
  | 'STARTED'
  | 'TOKEN';

export type StreamStatus =
  | 'CANCELLED'
  | 'COMPLETED'
  | 'FAILED'
  | 'QUEUED'
  | 'RUNNING';

export type CreateFlowMutationVariables = Exact<{
  input: CreateFlowInput;
}>;


export type CreateFlowMutation = { __typename?: 'Mutation', createFlow:
    | { __typename: 'CreateFlowSuccess', flow: { __typename?: 'Flow', id: string, name: string } }
    | { __typename: 'ValidationError', message: string }
   };

export type CreateChatMutationVariables = Exact<{
  input: CreateChatInput;
}>;


export type CreateChatMutation = { __typename?: 'Mutation', createChat:
    | { __typename: 'CreateChatSuccess', chat: { __typename?: 'Chat', id: string, title?: string | null, version: number } }
    | { __typename: 'NotFoundError', message: string }
    | { __typename: 'ValidationError', message: string }
   };

export type CreateThreadMutationVariables = Exact<{
  input: CreateThreadInput;
}>;


export type CreateThreadMutation = { __typename?: 'Mutation', createThread:
    | { __typename: 'CreateThreadSuccess', thread: { __typename?: 'Thread', id: string, title?: string | null, version: number } }
    | { __typename: 'NotFoundError', message: string }
    | { __typename: 'ValidationError', message: string }
   };

export type PostMessageMutationVariables = Exact<{
  input: PostMessageInput;
}>;


export type PostMessageMutation = { __typename?: 'Mutation', postMessage:
    | { __typename: 'NotFoundError', message: string }
    | { __typename: 'PostMessageSuccess', posted: { __typename?: 'Message', id: string, role: MessageRole } }
    | { __typename: 'ValidationError', message: string }
   };

export type StartStreamMutationVariables = Exact<{
  input: StartStreamInput;
}>;


export type StartStreamMutation = { __typename?: 'Mutation', startStream:
    | { __typename: 'NotFoundError', message: string }
    | { __typename: 'StartStreamSuccess', stream: { __typename?: 'Stream', id: string, status: StreamStatus } }
    | { __typename: 'ValidationError', message: string }
   };

export type StreamStatusQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type StreamStatusQuery = { __typename?: 'Query', stream?: { __typename?: 'Stream', id: string, status: StreamStatus, version: number, eventCount: number } | null };

export type ThreadMessageCountQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type ThreadMessageCountQuery = { __typename?: 'Query', thread?: { __typename?: 'Thread', id: string, messageCount: number } | null };

export type DeleteChatMutationVariables = Exact<{
  id: Scalars['ID']['input'];
  expectedVersion?: InputMaybe<Scalars['Int']['input']>;
  force?: InputMaybe<Scalars['Boolean']['input']>;
}>;


export type DeleteChatMutation = { __typename?: 'Mutation', deleteChat:
    | { __typename: 'ConflictError', message: string, reason: ConflictReason, activeConnections?: number | null, currentVersion?: number | null }
    | { __typename: 'DeleteChatSuccess', chatId: string, success: boolean, message: string, deletedThreadCount: number, deletedMessageCount: number, cancelledStreamCount: number, closedConnections: number, auditEntry?: { __typename?: 'AuditEntry', id: string, action: string } | null }
    | { __typename: 'NotFoundError', message: string, resourceType: ResourceType, id: string }
    | { __typename: 'ValidationError', message: string, fieldErrors: Array<{ __typename?: 'FieldError', path: Array<string>, message: string }> }
   };

export type DeleteThreadMutationVariables = Exact<{
  id: Scalars['ID']['input'];
  permanent?: InputMaybe<Scalars['Boolean']['input']>;
  expectedVersion?: InputMaybe<Scalars['Int']['input']>;
}>;


export type DeleteThreadMutation = { __typename?: 'Mutation', deleteThread:
    | { __typename: 'ConflictError', message: string, reason: ConflictReason, currentVersion?: number | null }
    | { __typename: 'DeleteThreadSuccess', threadId: string, message: string, softDelete: boolean, permanentDelete: boolean, canRestore: boolean, restoreUntil?: string | null, deletedMessageCount: number, auditEntry?: { __typename?: 'AuditEntry', id: string, action: string } | null }
    | { __typename: 'NotFoundError', message: string, resourceType: ResourceType, id: string }
    | { __typename: 'ValidationError', message: string, fieldErrors: Array<{ __typename?: 'FieldError', path: Array<string>, message: string }> }
   };

export type DeleteStreamMutationVariables = Exact<{
  id: Scalars['ID']['input'];
  expectedVersion?: InputMaybe<Scalars['Int']['input']>;
}>;


export type DeleteStreamMutation = { __typename?: 'Mutation', deleteStream:
    | { __typename: 'ConflictError', message: string, reason: ConflictReason, currentVersion?: number | null }
    | { __typename: 'DeleteStreamSuccess', streamId: string, previousStatus: StreamStatus, cancelled: boolean, deletedEventCount: number, auditEntry?: { __typename?: 'AuditEntry', id: string, action: string } | null }
    | { __typename: 'NotFoundError', message: string, resourceType: ResourceType, id: string }
    | { __typename: 'ValidationError', message: string, fieldErrors: Array<{ __typename?: 'FieldError', path: Array<string>, message: string }> }
   };

export type DeleteMessagesMutationVariables = Exact<{
  flowId: Scalars['ID']['input'];
  filter?: InputMaybe<MessageFilter>;
  hardDelete?: InputMaybe<Scalars['Boolean']['input']>;
}>;


export type DeleteMessagesMutation = { __typename?: 'Mutation', deleteMessages:
    | { __typename: 'ConflictError', message: string, reason: ConflictReason }
    | { __typename: 'DeleteMessagesSuccess', affected: number, hardDelete: boolean, erasedEventCount: number, auditEntry?: { __typename?: 'AuditEntry', id: string, action: string } | null }
    | { __typename: 'NotFoundError', message: string, resourceType: ResourceType, id: string }
    | { __typename: 'ValidationError', message: string, fieldErrors: Array<{ __typename?: 'FieldError', path: Array<string>, message: string }> }
   };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const CreateFlowDocument = new TypedDocumentString(`
    mutation CreateFlow($input: CreateFlowInput!) {
  createFlow(input: $input) {
    __typename
    ... on CreateFlowSuccess {
      flow {
        id
        name
      }
    }
    ... on ValidationError {
      message
    }
  }
}
    `) as unknown as TypedDocumentString<CreateFlowMutation, CreateFlowMutationVariables>;
export const CreateChatDocument = new TypedDocumentString(`
    mutation CreateChat($input: CreateChatInput!) {
  createChat(input: $input) {
    __typename
    ... on CreateChatSuccess {
      chat {
        id
        title
        version
      }
    }
    ... on Error {
      message
    }
  }
}
    `) as unknown as TypedDocumentString<CreateChatMutation, CreateChatMutationVariables>;
export const CreateThreadDocument = new TypedDocumentString(`
    mutation CreateThread($input: CreateThreadInput!) {
  createThread(input: $input) {
    __typename
    ... on CreateThreadSuccess {
      thread {
        id
        title
        version
      }
    }
    ... on Error {
      message
    }
  }
}
    `) as unknown as TypedDocumentString<CreateThreadMutation, CreateThreadMutationVariables>;
export const PostMessageDocument = new TypedDocumentString(`
    mutation PostMessage($input: PostMessageInput!) {
  postMessage(input: $input) {
    __typename
    ... on PostMessageSuccess {
      posted: message {
        id
        role
      }
    }
    ... on Error {
      message
    }
  }
}
    `) as unknown as TypedDocumentString<PostMessageMutation, PostMessageMutationVariables>;
export const StartStreamDocument = new TypedDocumentString(`
    mutation StartStream($input: StartStreamInput!) {
  startStream(input: $input) {
    __typename
    ... on StartStreamSuccess {
      stream {
        id
        status
      }
    }
    ... on Error {
      message
    }
  }
}
    `) as unknown as TypedDocumentString<StartStreamMutation, StartStreamMutationVariables>;
export const StreamStatusDocument = new TypedDocumentString(`
    query StreamStatus($id: ID!) {
  stream(id: $id) {
    id
    status
    version
    eventCount
  }
}
    `) as unknown as TypedDocumentString<StreamStatusQuery, StreamStatusQueryVariables>;
export const ThreadMessageCountDocument = new TypedDocumentString(`
    query ThreadMessageCount($id: ID!) {
  thread(id: $id) {
    id
    messageCount
  }
}
    `) as unknown as TypedDocumentString<ThreadMessageCountQuery, ThreadMessageCountQueryVariables>;
export const DeleteChatDocument = new TypedDocumentString(`
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
      auditEntry {
        id
        action
      }
    }
    ... on NotFoundError {
      message
      resourceType
      id
    }
    ... on ConflictError {
      message
      reason
      activeConnections
      currentVersion
    }
    ... on ValidationError {
      message
      fieldErrors {
        path
        message
      }
    }
  }
}
    `) as unknown as TypedDocumentString<DeleteChatMutation, DeleteChatMutationVariables>;
export const DeleteThreadDocument = new TypedDocumentString(`
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
      auditEntry {
        id
        action
      }
    }
    ... on NotFoundError {
      message
      resourceType
      id
    }
    ... on ConflictError {
      message
      reason
      currentVersion
    }
    ... on ValidationError {
      message
      fieldErrors {
        path
        message
      }
    }
  }
}
    `) as unknown as TypedDocumentString<DeleteThreadMutation, DeleteThreadMutationVariables>;
export const DeleteStreamDocument = new TypedDocumentString(`
    mutation DeleteStream($id: ID!, $expectedVersion: Int) {
  deleteStream(id: $id, expectedVersion: $expectedVersion) {
    __typename
    ... on DeleteStreamSuccess {
      streamId
      previousStatus
      cancelled
      deletedEventCount
      auditEntry {
        id
        action
      }
    }
    ... on NotFoundError {
      message
      resourceType
      id
    }
    ... on ConflictError {
      message
      reason
      currentVersion
    }
    ... on ValidationError {
      message
      fieldErrors {
        path
        message
      }
    }
  }
}
    `) as unknown as TypedDocumentString<DeleteStreamMutation, DeleteStreamMutationVariables>;
export const DeleteMessagesDocument = new TypedDocumentString(`
    mutation DeleteMessages($flowId: ID!, $filter: MessageFilter, $hardDelete: Boolean) {
  deleteMessages(flowId: $flowId, filter: $filter, hardDelete: $hardDelete) {
    __typename
    ... on DeleteMessagesSuccess {
      affected
      hardDelete
      erasedEventCount
      auditEntry {
        id
        action
      }
    }
    ... on NotFoundError {
      message
      resourceType
      id
    }
    ... on ConflictError {
      message
      reason
    }
    ... on ValidationError {
      message
      fieldErrors {
        path
        message
      }
    }
  }
}
    `) as unknown as TypedDocumentString<DeleteMessagesMutation, DeleteMessagesMutationVariables>;