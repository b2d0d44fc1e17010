import { builder } from './builder.ts';
import './types/scalars.ts';
import './types/errors.ts';
import './types/enums.ts';
// This order is the order of the fields in schema.graphql.
import './types/message.ts';
import './types/thread.ts';
import './types/chat.ts';
import './types/flow.ts';
import './types/stream.ts';
import './types/audit.ts';
import './types/erasure-receipt.ts';
import './types/erasure-target.ts';
import './types/retention.ts';
import './types/legal-hold.ts';
import './types/chat-export.ts';
import './types/delete-chat.ts';
import './types/delete-thread.ts';
import './types/delete-stream.ts';
import './types/delete-messages.ts';
import './types/erase-subject.ts';
import './types/subscriptions.ts';
import './types/deletion-job.ts';
import './types/entities.ts';

/** The schema as an Apollo Federation v2 subgraph (adds _service and _entities). */
export const schema = builder.toSubGraphSchema({ sortSchema: false });
