import type { CodegenConfig } from '@graphql-codegen/cli';

// GraphQL Code Generator's client preset over the gateway's committed SDL. schema.graphql
// is a federation subgraph SDL (`extend schema @link(...)`, `@key` on entities) that does
// not define those directives; graphql-tools' SDL loader takes it as it is (it does not
// validate directive usages in the schema), so no stripping is needed. The documents are
// still validated against the schema: a misspelt field fails codegen.
const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['src/**/*.ts', '!src/gql/**'],
  // Generated files are committed (see README.md); `npm run codegen:check` tells whether
  // they are stale against schema.graphql and the operations.
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: {
        // The results are read whole, so no fragment masking.
        fragmentMasking: false,
      },
      config: {
        // Operations as TypedDocumentString: a plain string to POST with fetch, no
        // graphql-js at run time.
        documentMode: 'string',
        // Unions of string literals rather than TypeScript enums (erasable syntax).
        enumsAsTypes: true,
        useTypeImports: true,
        // Only the types the operations use (their inputs, enums and results), so that a
        // change elsewhere in the schema does not make the committed files stale.
        onlyOperationTypes: true,
        // `./graphql.js` rather than `./graphql`, as NodeNext resolution requires.
        emitLegacyCommonJSImports: false,
        scalars: { DateTime: 'string', JSON: 'unknown' },
        // Fails codegen when the schema gains a scalar this config does not map.
        strictScalars: true,
      },
    },
  },
};

export default config;
