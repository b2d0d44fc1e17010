/** The process's settings the domain operations read (from the configuration). */
export interface Settings {
  /** How long a soft-deleted thread can be restored. */
  restoreWindowMs: number;
  /** Pause between two words of the built-in generator. */
  tokenIntervalMs: number;
  /** How long an Idempotency-Key's first answer is kept for retries. */
  idempotencyTtlMs: number;
  /** How long a claimed key may go unanswered before a retry takes it over. */
  idempotencyLeaseMs: number;
  /** Hosts erasure targets may point at (ERASURE_TARGET_HOSTS): `name` or `name:port`. */
  erasureTargetHosts: readonly string[];
  /** The longest pause between two attempts of a delivery. */
  erasureRetryMaxMs: number;
  /** How long a delivery is retried before its copy is FAILED. */
  erasureRetryMs: number;
}
