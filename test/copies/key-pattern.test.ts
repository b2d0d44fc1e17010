import { describe, expect, it } from 'vitest';
import type { ErasedRow } from '../../src/domain/copy-erasure.ts';
import { KEY_PLACEHOLDERS, keyPatternProblems, keysNamedBy } from '../../src/domain/key-pattern.ts';

const FLOW = 'f0000000-0000-4000-8000-000000000000';
const LISTED = '{sessionId}, {chatId}, {threadId}, {flowId}';
const NO_PLACEHOLDER = `must contain a placeholder (${LISTED}): without one, every erasure would delete the same key`;

const rows: ErasedRow[] = [
  { chatId: 'c1', threadId: 't1', sessionId: 's1' },
  { chatId: 'c1', threadId: 't1', sessionId: null },
  { chatId: 'c1', threadId: 't2', sessionId: 's1' },
];

describe('keysNamedBy', () => {
  it('names one key per distinct session; a row without a sessionId names none', () => {
    expect(keysNamedBy('memory:{sessionId}', FLOW, rows)).toEqual(['memory:s1']);
  });

  it('fills every placeholder, flowId from the event, in first-seen order without repeats', () => {
    expect(keysNamedBy('{flowId}/{chatId}/{threadId}', FLOW, rows)).toEqual([
      `${FLOW}/c1/t1`,
      `${FLOW}/c1/t2`,
    ]);
    expect(keysNamedBy('chat:{chatId}', FLOW, rows)).toEqual(['chat:c1']);
    expect(keysNamedBy('flow:{flowId}:chat:{chatId}', FLOW, rows)).toEqual([`flow:${FLOW}:chat:c1`]);
  });

  it('names no key for a row missing any placeholder the pattern uses', () => {
    const mixed: ErasedRow[] = [
      { chatId: 'c1', threadId: null, sessionId: 's1' },
      { chatId: 'c2', threadId: 't9', sessionId: null },
      { chatId: 'c3', threadId: 't3', sessionId: 's3' },
    ];
    expect(keysNamedBy('{threadId}:{sessionId}', FLOW, mixed)).toEqual(['t3:s3']);
    // A placeholder the pattern does not use does not matter.
    expect(keysNamedBy('c:{chatId}', FLOW, mixed)).toEqual(['c:c1', 'c:c2', 'c:c3']);
  });

  it('repeats a placeholder and inserts values verbatim, never re-reading them as a pattern', () => {
    const odd: ErasedRow[] = [{ chatId: 'c1', threadId: null, sessionId: 'a*b {chatId} ?[x]' }];
    expect(keysNamedBy('{sessionId}|{sessionId}', FLOW, odd)).toEqual([
      'a*b {chatId} ?[x]|a*b {chatId} ?[x]',
    ]);
  });

  it('names nothing for no rows', () => {
    expect(keysNamedBy('m:{sessionId}', FLOW, [])).toEqual([]);
  });

  it('refuses a pattern that is not usable instead of naming a literal key', () => {
    expect(() => keysNamedBy('memory', FLOW, rows)).toThrow(`Key pattern ${NO_PLACEHOLDER}`);
    expect(() => keysNamedBy('m:{session}', FLOW, rows)).toThrow(/unknown placeholder \{session\}/);
  });
});

describe('keyPatternProblems', () => {
  it('accepts each placeholder alone and together', () => {
    for (const name of KEY_PLACEHOLDERS) expect(keyPatternProblems(`x:{${name}}`)).toEqual([]);
    expect(keyPatternProblems('{flowId}{chatId}{threadId}{sessionId}')).toEqual([]);
    expect(keyPatternProblems(`${'k'.repeat(512 - '{chatId}'.length)}{chatId}`)).toEqual([]);
  });

  it('refuses an empty pattern', () => {
    expect(keyPatternProblems('')).toEqual(['must not be empty']);
    expect(keyPatternProblems('   ')).toEqual(['must not be empty']);
  });

  it('refuses a pattern longer than 512 characters', () => {
    expect(keyPatternProblems(`${'k'.repeat(513 - '{chatId}'.length)}{chatId}`)).toEqual([
      'must be at most 512 characters',
    ]);
  });

  it('refuses an unknown placeholder, naming the allowed ones', () => {
    expect(keyPatternProblems('m:{sessionId}:{foo}')).toEqual([
      `has an unknown placeholder {foo}: the placeholders are ${LISTED}`,
    ]);
    expect(keyPatternProblems('m:{chatId}{}')).toEqual([
      `has an unknown placeholder {}: the placeholders are ${LISTED}`,
    ]);
    // Placeholders are case-sensitive.
    expect(keyPatternProblems('m:{SessionId}')).toEqual([
      `has an unknown placeholder {SessionId}: the placeholders are ${LISTED}`,
      NO_PLACEHOLDER,
    ]);
  });

  it('echoes at most 40 characters of an unknown placeholder', () => {
    expect(keyPatternProblems(`{chatId}{${'x'.repeat(100)}}`)).toEqual([
      `has an unknown placeholder {${'x'.repeat(40)}…}: the placeholders are ${LISTED}`,
    ]);
  });

  it('refuses a stray brace', () => {
    const open = `has a stray "{": braces only enclose a placeholder (${LISTED})`;
    const close = `has a stray "}": braces only enclose a placeholder (${LISTED})`;
    expect(keyPatternProblems('m:{chatId')).toEqual([open, NO_PLACEHOLDER]);
    expect(keyPatternProblems('m:{chatId}}')).toEqual([close]);
    expect(keyPatternProblems('m:{{chatId}}')).toEqual([open, close]);
    expect(keyPatternProblems('}{chatId}{')).toEqual([close, open]);
  });

  it('refuses a pattern without a placeholder, which would name one fixed key', () => {
    expect(keyPatternProblems('memory:all')).toEqual([NO_PLACEHOLDER]);
  });

  it('lists every problem at once, each once', () => {
    expect(keyPatternProblems(`{a}{a}}}${'k'.repeat(600)}`)).toEqual([
      'must be at most 512 characters',
      `has an unknown placeholder {a}: the placeholders are ${LISTED}`,
      `has a stray "}": braces only enclose a placeholder (${LISTED})`,
      NO_PLACEHOLDER,
    ]);
  });
});
