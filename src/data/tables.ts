import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

// Timestamps are ISO-8601 UTC strings with milliseconds ("2026-01-15T10:45:00.000Z"):
// fixed width, so they sort and compare as text the same way on SQLite and PostgreSQL.

// Each closed set of values is listed once, in the lowest layer that uses it (here, for
// the rows): its type, the GraphQL enum and the REST routes' checks all derive from it.

export const FLOW_TYPES = ['CHATFLOW', 'AGENTFLOW'] as const;
export type FlowType = (typeof FLOW_TYPES)[number];

export const MESSAGE_ROLES = ['USER', 'ASSISTANT', 'SYSTEM', 'TOOL'] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];

export const CHAT_TYPES = ['INTERNAL', 'EXTERNAL'] as const;
export type ChatType = (typeof CHAT_TYPES)[number];

export const FEEDBACK_TYPES = ['THUMBS_UP', 'THUMBS_DOWN'] as const;
export type FeedbackType = (typeof FEEDBACK_TYPES)[number];

export const STREAM_STATUSES = ['QUEUED', 'RUNNING', 'COMPLETED', 'CANCELLED', 'FAILED'] as const;
export type StreamStatus = (typeof STREAM_STATUSES)[number];

export const STREAM_EVENT_TYPES = ['STARTED', 'TOKEN', 'COMPLETED', 'CANCELLED', 'FAILED', 'DELETED'] as const;
export type StreamEventType = (typeof STREAM_EVENT_TYPES)[number];

/** What an id can name: a NotFoundError says which, an audit entry's target is any but a deletion job. */
export const RESOURCE_TYPES = ['FLOW', 'CHAT', 'THREAD', 'MESSAGE', 'STREAM', 'ERASURE_TARGET', 'RECEIPT', 'LEGAL_HOLD', 'RETENTION_POLICY', 'DELETION_JOB'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

export interface TenantTable {
  id: string;
  name: string;
  created_at: string;
}

export interface ApiKeyTable {
  id: string;
  tenant_id: string;
  name: string;
  key_hash: string;
  created_at: string;
  revoked_at: string | null;
  /** Comma-separated permissions: read, write, delete, admin. */
  scopes: string;
}

export interface FlowTable {
  id: string;
  tenant_id: string;
  name: string;
  type: FlowType;
  created_at: string;
}

export interface ChatTable {
  id: string;
  tenant_id: string;
  flow_id: string;
  title: string | null;
  version: number;
  created_at: string;
  updated_at: string;
  /** Set while the chat's rows are erased in the background; such a chat is gone from reads. */
  deleted_at: string | null;
}

export interface ThreadTable {
  id: string;
  tenant_id: string;
  chat_id: string;
  flow_id: string;
  title: string | null;
  metadata: string | null;
  version: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  restore_until: string | null;
  deleted_by: string | null;
}

export interface MessageTable {
  id: string;
  tenant_id: string;
  flow_id: string;
  chat_id: string;
  thread_id: string;
  role: MessageRole;
  content: string;
  session_id: string | null;
  memory_type: string | null;
  chat_type: ChatType;
  feedback: FeedbackType | null;
  created_at: string;
}

export interface StreamTable {
  id: string;
  tenant_id: string;
  chat_id: string;
  thread_id: string;
  status: StreamStatus;
  version: number;
  prompt_message_id: string | null;
  message_id: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface StreamEventTable {
  stream_id: string;
  seq: number;
  type: StreamEventType;
  data: string | null;
  at: string;
}

export interface AuditLogTable {
  id: string;
  tenant_id: string;
  action: string;
  target_type: Exclude<ResourceType, 'DELETION_JOB'>;
  target_id: string;
  actor: string;
  request_id: string;
  details: string | null;
  at: string;
  // Insertion order, so "newest first" is exact even within one millisecond.
  seq: Generated<number>;
  // Null until the entry is sealed into its tenant's hash chain, after its transaction
  // commits (src/domain/audit-chain.ts); chain_index counts 1, 2, 3… per tenant.
  chain_index: number | null;
  previous_hash: string | null;
  hash: string | null;
}

export interface IdempotencyKeyTable {
  tenant_id: string;
  key: string;
  /** Hash of the request (method, path, query, body) the key was first used for. */
  fingerprint: string;
  status: number | null;
  content_type: string | null;
  body: string | null;
  created_at: string;
  expires_at: string;
  /**
   * When a permanent delete of the tenant took the stored answer away, or marked the
   * request still running so its answer is never stored; null while it may be replayed.
   */
  erased_at: string | null;
  /** The request that claimed the key (null for keys claimed before it was kept). */
  request_id: string | null;
}

export interface ErasureJobTable {
  id: string;
  tenant_id: string;
  kind: 'chat' | 'messages';
  target_id: string;
  selection: string | null;
  total: number;
  done: number;
  created_at: string;
  finished_at: string | null;
  /** JSON of the audit entry a counted-after delete still has to record; null once recorded. */
  pending_audit: string | null;
}

/** Where copies of a flow's messages live: a Redis memory store, or a webhook receiver. */
export const ERASURE_TARGET_KINDS = ['REDIS', 'WEBHOOK'] as const;
export type ErasureTargetKind = (typeof ERASURE_TARGET_KINDS)[number];

/** A delivery's state, and a receipt's: PENDING until confirmed, then COMPLETE, or FAILED at its deadline. */
export const ERASURE_STATUSES = ['PENDING', 'COMPLETE', 'FAILED'] as const;
export type ErasureStatus = (typeof ERASURE_STATUSES)[number];

export interface ErasureTargetTable {
  id: string;
  tenant_id: string;
  flow_id: string;
  kind: ErasureTargetKind;
  name: string;
  /** With its credentials (a Redis password); shown only without them. */
  url: string;
  key_pattern: string | null;
  /** A webhook's signing secret; never shown. */
  secret: string | null;
  created_at: string;
  removed_at: string | null;
}

export interface ErasureReceiptTable {
  id: string;
  tenant_id: string;
  action: string;
  target_type: ResourceType | null;
  target_id: string | null;
  audit_entry_id: string;
  /** JSON: rows erased by kind (chats, threads, messages, streams, streamEvents). */
  counts: string;
  requested_at: string;
  /** When this service's rows were gone; null while an erasure job still works on them. */
  rows_erased_at: string | null;
  erasure_job_id: string | null;
}

export interface ErasureDeliveryTable {
  id: string;
  tenant_id: string;
  receipt_id: string;
  target_id: string;
  /** JSON of the erasure event (what was erased), fixed when the delete committed. */
  event: string;
  status: ErasureStatus;
  attempts: number;
  last_error: string | null;
  created_at: string;
  next_attempt_at: string;
  deadline_at: string;
  leased_until: string | null;
  completed_at: string | null;
}

/** Where each tenant's audit hash chain ends: its last sealed entry (chain_index 0, hash null: none yet). */
export interface AuditChainHeadTable {
  tenant_id: string;
  chain_index: number;
  hash: string | null;
}

/** What a legal hold covers: a flow, a chat, or a session id (that subject's messages in every flow). */
export const LEGAL_HOLD_SCOPES = ['FLOW', 'CHAT', 'SESSION'] as const;
export type LegalHoldScope = (typeof LEGAL_HOLD_SCOPES)[number];

export interface LegalHoldTable {
  id: string;
  tenant_id: string;
  scope: LegalHoldScope;
  /** A flow's or chat's id, or a session id. */
  target_id: string;
  reason: string;
  created_at: string;
  /** The API key's name (or the CLI's actor) that placed it. */
  created_by: string;
  /** Null while the hold is active. */
  released_at: string | null;
  released_by: string | null;
}

export interface RetentionPolicyTable {
  id: string;
  tenant_id: string;
  /** null: the tenant's default, for flows without a policy of their own. */
  flow_id: string | null;
  max_age_days: number;
  created_at: string;
  updated_at: string;
}

/** A named lease: which process does a job only one may do at a time, until when. */
export interface LeaseTable {
  name: string;
  holder: string;
  leased_until: string;
}

export interface Database {
  tenants: TenantTable;
  api_keys: ApiKeyTable;
  flows: FlowTable;
  chats: ChatTable;
  threads: ThreadTable;
  messages: MessageTable;
  streams: StreamTable;
  stream_events: StreamEventTable;
  audit_log: AuditLogTable;
  idempotency_keys: IdempotencyKeyTable;
  erasure_jobs: ErasureJobTable;
  erasure_targets: ErasureTargetTable;
  erasure_receipts: ErasureReceiptTable;
  erasure_deliveries: ErasureDeliveryTable;
  audit_chain_heads: AuditChainHeadTable;
  legal_holds: LegalHoldTable;
  retention_policies: RetentionPolicyTable;
  leases: LeaseTable;
  openai_flows: OpenAiFlowTable;
}

/** The flow of a tenant's conversations created through the OpenAI routes (one per tenant). */
export interface OpenAiFlowTable {
  tenant_id: string;
  flow_id: string;
  created_at: string;
}

export type FlowRow = Selectable<FlowTable>;
export type RetentionPolicyRow = Selectable<RetentionPolicyTable>;
export type ChatRow = Selectable<ChatTable>;
export type ThreadRow = Selectable<ThreadTable>;
export type MessageRow = Selectable<MessageTable>;
export type StreamRow = Selectable<StreamTable>;
export type StreamUpdate = Updateable<StreamTable>;
export type StreamEventRow = Selectable<StreamEventTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type IdempotencyRow = Selectable<IdempotencyKeyTable>;
export type ErasureJobRow = Selectable<ErasureJobTable>;
export type ErasureTargetRow = Selectable<ErasureTargetTable>;
export type ErasureReceiptRow = Selectable<ErasureReceiptTable>;
export type ErasureDeliveryRow = Selectable<ErasureDeliveryTable>;
/** Entries are written unsealed: the chain's columns are the sealer's to set. */
export type NewAudit = Omit<Insertable<AuditLogTable>, 'seq' | 'chain_index' | 'previous_hash' | 'hash'>;
export type AuditChainHeadRow = Selectable<AuditChainHeadTable>;
export type LegalHoldRow = Selectable<LegalHoldTable>;
