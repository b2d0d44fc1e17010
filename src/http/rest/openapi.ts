import packageJson from '../../../package.json' with { type: 'json' };
import type { RestRoute } from './route-table.ts';

// Small builders for the operation objects kept beside each route.

export const pathParam = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string', format: 'uuid' },
});

export const queryParam = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});

export const jsonResponse = (description: string, schema: Record<string, unknown> = { type: 'object' }) => ({
  description,
  content: { 'application/json': { schema } },
});

/** The OpenAPI 3.1 document of the REST routes, built from the route table itself. */
export function openApiDocument(routes: readonly RestRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    if (!route.doc) continue;
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = route.doc;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'chat-gateway REST compatibility routes',
      version: packageJson.version,
      description:
        'The seed APIs\' and OpenAI\'s own requests, served unchanged by chat-gateway. Each route runs the same ' +
        'domain operation as its GraphQL mutation (POST /graphql).',
      license: { name: packageJson.license, identifier: packageJson.license },
    },
    // Relative: the routes are served beside /openapi.json, wherever the gateway is deployed.
    servers: [{ url: '/', description: 'The gateway that serves this document' }],
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
    },
    security: [{ apiKey: [] }, { bearer: [] }],
    paths,
  };
}
