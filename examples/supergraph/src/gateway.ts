import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';

// Hive Gateway's runtime served by node:http: the supergraph's join__graph URLs say
// where each subgraph is; the client's credentials travel with every subgraph request.

/** What the client sent that the subgraphs need: chat-gateway scopes every request by its API key. */
const FORWARDED_HEADERS = ['x-api-key', 'authorization', 'x-request-id'] as const;

/** One request the gateway sent to a subgraph (for tests: counting the query plan's fetches). */
export interface SubgraphFetch {
  url: string;
  body: string;
}

export interface GatewayOptions {
  /** The supergraph SDL (scripts/compose-supergraph.ts writes it). */
  supergraph: string;
  port?: number;
  host?: string;
  onSubgraphFetch?: (fetch: SubgraphFetch) => void;
}

export interface RunningGateway {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql */
  url: string;
  stop(): Promise<void>;
}

export async function startGateway({ supergraph, port = 0, host = '127.0.0.1', onSubgraphFetch }: GatewayOptions): Promise<RunningGateway> {
  const gateway = createGatewayRuntime({
    supergraph,
    logging: 'warn',
    landingPage: false,
    propagateHeaders: {
      fromClientToSubgraphs: ({ request }) =>
        Object.fromEntries(FORWARDED_HEADERS.map((name) => [name, request.headers.get(name)]).filter(([, value]) => value !== null)),
    },
    plugins: () => [
      {
        onFetch({ url, options }) {
          onSubgraphFetch?.({ url, body: typeof options.body === 'string' ? options.body : '' });
        },
      },
    ],
  });
  const server = createServer(gateway);
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
      await gateway.dispose();
      await closed;
    },
  };
}
