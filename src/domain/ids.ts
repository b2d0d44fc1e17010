import { v7 } from 'uuid';

/** Time-ordered UUIDs: rows created in one millisecond still sort in creation order. */
export function newId(): string {
  return v7();
}
