import type { SchemaTypes } from '../builder.ts';

/** The same answer field on each delete's success (src/domain/delete-pipeline.ts runs the dry run). */
export function dryRunField<T extends { dryRun: boolean }>(t: PothosSchemaTypes.ObjectFieldBuilder<SchemaTypes, T>) {
  return t.boolean({
    description: 'true when nothing was changed: the answer says what the delete would do',
    resolve: (r) => r.dryRun,
  });
}
