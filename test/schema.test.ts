import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, validate } from 'graphql';
import { printSchemaFile } from '../src/graphql/print-schema.ts';
import { schema } from '../src/graphql/schema.ts';
import { EXAMPLE_OPERATIONS } from '../src/http/graphiql-examples.ts';


describe('schema.graphql', () => {
  it('is what the code generates (run `npm run schema:print` after changing the schema)', () => {
    expect(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8')).toBe(printSchemaFile());
  });

  it("GraphiQL's example operations are valid against it", () => {
    expect(validate(schema, parse(EXAMPLE_OPERATIONS)).map((e) => e.message)).toEqual([]);
  });
});
