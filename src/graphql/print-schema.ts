import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from './schema.ts';

/** The checked-in schema.graphql: generated from the code, never edited by hand. */
export function printSchemaFile(): string {
  return `# Generated from the code by \`npm run schema:print\`; do not edit.\n\n${printSchema(lexicographicSortSchema(schema))}\n`;
}
