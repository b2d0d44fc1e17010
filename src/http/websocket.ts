import type { IncomingMessage, Server } from 'node:http';
import type { ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { authenticate } from '../domain/api-keys.ts';
import type { Deps } from '../domain/deps.ts';
import { apiKeyFrom } from './api-key.ts';
import type { Gateway } from './yoga.ts';

type Enveloped = ReturnType<Gateway['getEnveloped']>;

function headersOf(request: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
  }
  return headers;
}

/** The key of a WebSocket client: connection params first, then the upgrade request's headers. */
function keyOf(connectionParams: Record<string, unknown> | undefined, request: IncomingMessage): string | undefined {
  const fromParams = connectionParams?.['x-api-key'] ?? connectionParams?.apiKey;
  if (typeof fromParams === 'string') return fromParams;
  const auth = connectionParams?.Authorization ?? connectionParams?.authorization;
  if (typeof auth === 'string') return apiKeyFrom(new Headers({ authorization: auth }));
  return apiKeyFrom(headersOf(request));
}

/**
 * graphql-ws on the same port and path as HTTP, running every operation through yoga's
 * envelop so WebSocket clients get the same schema, context, auth and error masking.
 */
export function attachWebSocket(server: Server, gateway: Gateway, deps: Deps): { close(): Promise<void> } {
  const wss = new WebSocketServer({ server, path: gateway.graphqlEndpoint });
  const disposable = useServer(
    {
      execute: (args: ExecutionArgs) => (args.rootValue as Enveloped).execute(args),
      subscribe: (args: ExecutionArgs) => (args.rootValue as Enveloped).subscribe(args),
      // A bad key closes the socket with 4403 before any operation runs.
      onConnect: async (ctx) => {
        try {
          await authenticate(deps.store, keyOf(ctx.connectionParams, ctx.extra.request));
          return true;
        } catch {
          return false;
        }
      },
      onSubscribe: async (ctx, _id, payload) => {
        const key = keyOf(ctx.connectionParams, ctx.extra.request);
        const request = new Request(`http://websocket${gateway.graphqlEndpoint}`, {
          headers: key ? { 'x-api-key': key } : {},
        });
        const enveloped = gateway.getEnveloped({ request, connectionParams: ctx.connectionParams, params: payload });
        const document = enveloped.parse(payload.query);
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors;
        return {
          schema: enveloped.schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: enveloped,
        };
      },
    },
    wss,
  );
  return {
    async close() {
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
