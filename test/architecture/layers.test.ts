import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ICruiseOptions, type ICruiseResult, cruise } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `npm run lint:layers` guards the real src/ tree. This proves the same config can fail: it
// cruises a small tree written to a temp dir (never into src/), with one planted violation
// per layer rule and a two-file cycle that exists only through an `import type`.

const root = fileURLToPath(new URL('../..', import.meta.url));
const CONFIG = join(root, '.dependency-cruiser.cjs');

const FILES: Record<string, string> = {
  // Allowed: downward imports, and the composition root importing everything.
  'src/app.ts': [
    "import { h } from './http/h.ts';",
    "import { s } from './server.ts';",
    "import { main } from './cli/main.ts';",
    'export const app = [h, s, main];',
  ].join('\n'),
  'src/cli/main.ts': 'export const main = 1;',
  'src/server.ts': "import { h } from './http/h.ts';\nexport const s = h;",
  'src/http/h.ts': [
    "import { g } from '../graphql/g.ts';",
    "import { live } from '../live/l.ts';",
    "import { ok } from '../domain/ok.ts';",
    'export const h = [g, live, ok];',
  ].join('\n'),
  'src/graphql/g.ts': "import { ok } from '../domain/ok.ts';\nexport const g = ok;",
  'src/domain/ok.ts': [
    "import { rows } from '../data/rows.ts';",
    "import { live } from '../live/l.ts';",
    'export const ok = [rows, live];',
  ].join('\n'),
  'src/data/rows.ts': 'export const rows = 1;',
  'src/live/l.ts': 'export const live = 1;',
  'src/copies/c.ts': "import { ok } from '../domain/ok.ts';\nexport const c = ok;",

  // Planted: one import up the layers per rule.
  'src/data/x.ts': "import { y } from '../domain/y.ts';\nexport const x = y;",
  'src/domain/y.ts': 'export const y = 1;',
  'src/domain/up.ts': "import { g } from '../graphql/g.ts';\nexport const up = g;",
  'src/graphql/up.ts': "import { s } from '../server.ts';\nexport const up = s;",
  'src/live/up.ts': "import { y } from '../domain/y.ts';\nexport const up = y;",
  'src/copies/up.ts': "import { g } from '../graphql/g.ts';\nexport const up = g;",
  'src/domain/to-copies.ts': "import { c } from '../copies/c.ts';\nexport const down = c;",
  'src/data/to-copies.ts': "import { c } from '../copies/c.ts';\nexport const down = c;",

  // Planted: a cycle whose back edge is type-only.
  'src/domain/a.ts': [
    "import type { B } from './b.ts';",
    'export interface A { b?: B }',
    'export function makeA(): A { return {}; }',
  ].join('\n'),
  'src/domain/b.ts': [
    "import { makeA } from './a.ts';",
    'export interface B { n: number }',
    'export const b = makeA();',
  ].join('\n'),
};

let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'layers-'));
  for (const [file, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(tmp, file)), { recursive: true });
    writeFileSync(join(tmp, file), `${text}\n`);
  }
  // The repo's compiler options, scoped to the temp tree.
  writeFileSync(
    join(tmp, 'tsconfig.json'),
    JSON.stringify({ extends: join(root, 'tsconfig.json'), include: ['src'] }),
  );
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function cruiseTemp(overrides: Partial<ICruiseOptions> = {}) {
  const tsConfigFile = join(tmp, 'tsconfig.json');
  const options: ICruiseOptions = {
    ...(await extractDepcruiseOptions(CONFIG)),
    baseDir: tmp,
    tsConfig: { fileName: tsConfigFile },
    outputType: 'json',
    ...overrides,
  };
  const transpile = { tsConfig: extractTSConfig(tsConfigFile) };
  const { output } = await cruise(['src'], options, {}, transpile);
  const result = (typeof output === 'string' ? JSON.parse(output) : output) as ICruiseResult;
  // What the CLI exits with under lint:layers' reporter (the number of errors).
  const { exitCode } = await cruise(['src'], { ...options, outputType: 'err-long' }, {}, transpile);
  const violations = result.summary.violations
    .map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)
    .sort();
  return { result, violations, exitCode };
}

describe('layer rules (.dependency-cruiser.cjs)', () => {
  it('reports exactly the planted violations, by rule name', async () => {
    const { result, violations, exitCode } = await cruiseTemp();

    expect(result.summary.totalCruised).toBe(Object.keys(FILES).length);
    expect(violations).toEqual(
      [
        'copies-not-to-higher-layers: src/copies/up.ts -> src/graphql/g.ts',
        'data-not-to-higher-layers: src/data/to-copies.ts -> src/copies/c.ts',
        'data-not-to-higher-layers: src/data/x.ts -> src/domain/y.ts',
        'domain-not-to-higher-layers: src/domain/to-copies.ts -> src/copies/c.ts',
        'domain-not-to-higher-layers: src/domain/up.ts -> src/graphql/g.ts',
        'graphql-not-to-higher-layers: src/graphql/up.ts -> src/server.ts',
        'live-not-to-higher-layers: src/live/up.ts -> src/domain/y.ts',
        'no-circular: src/domain/a.ts -> src/domain/b.ts',
      ].sort(),
    );
    expect(result.summary.error).toBe(8);
    expect(exitCode).toBe(8);

    const cycle = result.summary.violations.find((v) => v.rule.name === 'no-circular')?.cycle ?? [];
    expect(cycle.map((c) => c.name)).toEqual(['src/domain/b.ts', 'src/domain/a.ts']);
    // a.ts → b.ts is `import type`: the cycle exists only because type-only imports count.
    const typeOnly = result.modules
      .find((m) => m.source === 'src/domain/a.ts')
      ?.dependencies.find((d) => d.resolved === 'src/domain/b.ts');
    expect(typeOnly?.dependencyTypes).toContain('type-only');
  });

  it('would miss the type-only cycle without tsPreCompilationDeps', async () => {
    const { violations } = await cruiseTemp({ tsPreCompilationDeps: false });
    expect(violations.filter((v) => v.startsWith('no-circular'))).toEqual([]);
  });
});
