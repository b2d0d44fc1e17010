import { type ErasureJob, getErasureJob, watchErasureJob } from '../../domain/erasure-job-progress.ts';
import { builder } from '../builder.ts';

export const DeletionJobRef = builder.objectRef<ErasureJob>('DeletionJob').implement({
  description:
    'The background erasure of a large delete: the rows vanished from reads when the delete answered; ' +
    'this shows the physical erasure catching up.',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.string({ description: 'chat or messages', resolve: (j) => j.kind }),
    targetId: t.id({ description: 'the chat, or the flow of a deleteMessages', resolve: (j) => j.targetId }),
    total: t.int({ description: 'messages to erase (0 when not known in advance)', resolve: (j) => j.total }),
    done: t.int({ description: 'messages erased so far', resolve: (j) => j.done }),
    finished: t.boolean({ resolve: (j) => j.finishedAt !== null }),
    createdAt: t.field({ type: 'DateTime', resolve: (j) => j.createdAt }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (j) => j.finishedAt }),
  }),
});

builder.queryField('deletionJob', (t) =>
  t.field({
    type: DeletionJobRef,
    nullable: true,
    description: 'A background erasure of this tenant (finished ones are kept for a day)',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => getErasureJob(ctx.deps, ctx.scope, id),
  }),
);

builder.subscriptionField('deletionJob', (t) =>
  t.field({
    type: DeletionJobRef,
    description: 'The erasure now, then each time it progresses; completes once it has finished',
    args: { id: t.arg.id({ required: true }) },
    subscribe: (_root, { id }, ctx) => watchErasureJob(ctx.deps, ctx.scope, id),
    resolve: (job: ErasureJob) => job,
  }),
);
