// Layer and cycle rules for src/, checked by `npm run lint:layers` (dependency-cruiser).
//
// Layers, top to bottom: HTTP (src/http, src/server.ts) → GraphQL (src/graphql) →
// domain (src/domain) → data (src/data). Beside them: src/live (live state; used by domain
// and http, imports only types of src/data/tables.ts), src/copies (the erasers of copies
// outside the service; above domain, whose interfaces and rules they implement, and wired in
// by the composition roots), src/generators (the streams' token sources, the same way),
// src/observability, src/config, and the composition roots src/cli
// and src/app.ts, which may import anything.
//
// Paths are relative to the folder cruised from (the repo root, or `baseDir`), so the same
// rules apply to the small tree that test/architecture/layers.test.ts writes to a temp dir.

/** @type {string[]} */
const HTTP = ['^src/http/', '^src/server\\.ts$'];
const GRAPHQL = ['^src/graphql/'];
const DOMAIN = ['^src/domain/'];
const LIVE = ['^src/live/'];
const COPIES = ['^src/copies/'];
const GENERATORS = ['^src/generators/'];
const ROOTS = ['^src/cli/', '^src/app\\.ts$'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'data-not-to-higher-layers',
      comment:
        'src/data is the lowest layer: it must not import domain, graphql, http, live, copies, generators or the composition roots.',
      severity: 'error',
      from: { path: '^src/data/' },
      to: { path: [...DOMAIN, ...GRAPHQL, ...HTTP, ...LIVE, ...COPIES, ...GENERATORS, ...ROOTS] },
    },
    {
      name: 'domain-not-to-higher-layers',
      comment:
        'src/domain must not import graphql, http, copies or generators (it names their interfaces in copy-erasure.ts and token-sources.ts) or the composition roots.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: [...GRAPHQL, ...HTTP, ...COPIES, ...GENERATORS, ...ROOTS] },
    },
    {
      name: 'graphql-not-to-higher-layers',
      comment: 'src/graphql must not import http or the composition roots.',
      severity: 'error',
      from: { path: '^src/graphql/' },
      to: { path: [...HTTP, ...ROOTS] },
    },
    {
      name: 'live-not-to-higher-layers',
      comment:
        'src/live sits below its users (domain and http): it must not import domain, graphql, http, copies or the composition roots.',
      severity: 'error',
      from: { path: '^src/live/' },
      to: { path: [...DOMAIN, ...GRAPHQL, ...HTTP, ...COPIES, ...ROOTS] },
    },
    {
      name: 'copies-not-to-higher-layers',
      comment:
        'src/copies sits on domain (its types and key patterns): it must not import graphql, http or the composition roots.',
      severity: 'error',
      from: { path: '^src/copies/' },
      to: { path: [...GRAPHQL, ...HTTP, ...ROOTS] },
    },
    {
      name: 'generators-not-to-higher-layers',
      comment: 'src/generators sits on domain (the TokenSource it implements): it must not import graphql, http, copies or the composition roots.',
      severity: 'error',
      from: { path: '^src/generators/' },
      to: { path: [...GRAPHQL, ...HTTP, ...COPIES, ...ROOTS] },
    },
    {
      name: 'no-circular',
      comment:
        'No import cycles in src/, type-only imports included (tsPreCompilationDeps: true).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      comment:
        'Every import must resolve; an import the cruiser cannot follow would hide its edge from the rules above.',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    includeOnly: '^src/',
    doNotFollow: { path: 'node_modules' },
    // Count `import type` and `import { type X }` as dependencies, so type-only cycles show.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6', 'cjs'],
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.mts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    skipAnalysisNotInRules: true,
  },
};
