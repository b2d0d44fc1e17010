import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { chatModeration, messageToxicity } from './verdicts.ts';

/** The subgraph SDL, as composed into the supergraph. */
export const moderationSdl = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');

/** One GraphQL operation the subgraph received: what tests count and check. */
export interface ReceivedOperation {
  query: string;
  variables: Record<string, unknown> | undefined;
  headers: Headers;
}

export interface ModerationOptions {
  port?: number;
  host?: string;
  /** Called for every operation received (before it runs). */
  onOperation?: (operation: ReceivedOperation) => void;
}

export interface RunningModeration {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4001/graphql */
  url: string;
  stop(): Promise<void>;
}

type Ref = { id: string };

const schema = buildSubgraphSchema({
  typeDefs: parse(moderationSdl),
  resolvers: {
    Query: {
      moderationQueue: (_: unknown, { chatIds }: { chatIds: string[] }): Ref[] =>
        chatIds.filter((id) => chatModeration(id).flagged).map((id) => ({ id })),
    },
    // The gateway sends only the key; everything here is derived from it.
    Chat: {
      __resolveReference: ({ id }: Ref): Ref => ({ id }),
      moderation: ({ id }: Ref) => chatModeration(id),
    },
    Message: {
      __resolveReference: ({ id }: Ref): Ref => ({ id }),
      toxicity: ({ id }: Ref) => messageToxicity(id),
    },
  } as never, // @apollo/subgraph's resolver map type does not know __resolveReference's arguments
});

/** Starts the moderation subgraph on loopback (port 0 picks a free port). */
export async function startModeration({ port = 0, host = '127.0.0.1', onOperation }: ModerationOptions = {}): Promise<RunningModeration> {
  const yoga = createYoga({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    plugins: [
      {
        onParams({ params, request }) {
          onOperation?.({ query: params.query ?? '', variables: params.variables, headers: request.headers });
        },
      },
    ],
  });
  const server = createServer(yoga);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}/graphql`,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
