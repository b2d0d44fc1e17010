import { printSubgraphSchema } from '@apollo/subgraph';
import { lexicographicSortSchema } from 'graphql';
import { schema } from './schema.ts';

/**
 * The checked-in schema.graphql: the subgraph SDL with its federation directives
 * (graphql's printSchema would drop @key and @link), generated, never edited by hand.
 */
export function printSchemaFile(): string {
  return `# Generated from the code by \`npm run schema:print\`; do not edit.\n\n${printSubgraphSchema(lexicographicSortSchema(schema))}\n`;
}
