import { builder } from './builder.ts';
import './types/scalars.ts';
import './types/errors.ts';
import './types/enums.ts';
import './types/flow.ts';
import './types/chat.ts';
import './types/thread.ts';
import './types/message.ts';
import './types/stream.ts';
import './types/audit.ts';
import './types/delete-chat.ts';
import './types/delete-thread.ts';
import './types/delete-stream.ts';
import './types/delete-messages.ts';
import './types/subscriptions.ts';

export const schema = builder.toSchema({ sortSchema: false });
