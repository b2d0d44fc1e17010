import { buildSchema, isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { CompositionError, type Hint, composeSupergraph, repositorySubgraphs, supergraphHints } from '../../scripts/compose-supergraph.ts';

// The supergraph of this repository's two subgraphs composes without errors and without
// hints. @theguild/federation-composition reports errors only, so the hints are our own
// checks (scripts/compose-supergraph.ts, supergraphHints) with Apollo's hint codes.

const urls = { chatGateway: 'http://127.0.0.1:4000/graphql', moderation: 'http://127.0.0.1:4001/graphql' };

/** Hints we accept, by code, with the reason. None so far: every hint would be a real disagreement. */
const ACCEPTABLE_HINTS: Record<string, string> = {};

describe('supergraph composition', () => {
  it('composes schema.graphql and the moderation subgraph without errors or hints that matter', () => {
    const { supergraphSdl, hints } = composeSupergraph(repositorySubgraphs(urls));
    expect(hints.filter((h) => !(h.code in ACCEPTABLE_HINTS))).toEqual([]);
    expect(supergraphSdl).toContain('CHAT_GATEWAY @join__graph(name: "chat-gateway", url: "http://127.0.0.1:4000/graphql")');
    expect(supergraphSdl).toContain('MODERATION @join__graph(name: "moderation", url: "http://127.0.0.1:4001/graphql")');
    // Both subgraphs can resolve Chat and Message by id: the gateway can join either way.
    expect(supergraphSdl).toMatch(/type Chat @join__type\(graph: CHAT_GATEWAY, key: "id"\) @join__type\(graph: MODERATION, key: "id"\)/);
    expect(supergraphSdl).toMatch(/type Message @join__type\(graph: CHAT_GATEWAY, key: "id"\) @join__type\(graph: MODERATION, key: "id"\)/);
  });

  it('serves clients one schema with the fields of both subgraphs and all four deletes', () => {
    const { supergraphSdl } = composeSupergraph(repositorySubgraphs(urls));
    // The supergraph SDL is valid GraphQL once its join/link directives are known; read the client-facing fields.
    const schema = buildSchema(supergraphSdl, { assumeValidSDL: true });
    const fields = (type: string) => {
      const t = schema.getType(type);
      return isObjectType(t) ? Object.keys(t.getFields()) : [];
    };
    expect(fields('Chat')).toEqual(expect.arrayContaining(['id', 'title', 'threads', 'moderation']));
    expect(fields('Message')).toEqual(expect.arrayContaining(['id', 'content', 'toxicity']));
    expect(fields('Query')).toEqual(expect.arrayContaining(['chats', 'moderationQueue']));
    expect(fields('Mutation')).toEqual(expect.arrayContaining(['deleteChat', 'deleteThread', 'deleteStream', 'deleteMessages']));
    expect(fields('Subscription').sort()).toEqual(['chatEvents', 'deletionJob', 'streamEvents']);
  });

  it('fails loudly on a composition error', () => {
    const [ours, moderation] = repositorySubgraphs(urls);
    const broken = { ...moderation!, sdl: moderation!.sdl.replace('moderation: ChatModeration!', 'moderation: ChatModeration!\n  title: Int') };
    expect(() => composeSupergraph([ours!, broken])).toThrow(CompositionError);
    expect(() => composeSupergraph([ours!, broken])).toThrow(/Chat\.title/);
  });

  it('the hint checks catch what two subgraphs can quietly disagree on', () => {
    const [ours, moderation] = repositorySubgraphs(urls);
    const sdl = moderation!.sdl
      .replace('type Message @key(fields: "id") {', 'type Message {')
      .replace('  id: ID!\n  moderation', '  id: ID\n  moderation');
    const codes = supergraphHints([ours!, { ...moderation!, sdl }]).map((h: Hint) => h.code);
    expect(codes.sort()).toEqual(['INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE', 'INCONSISTENT_ENTITY']);
  });
});
