import type { TypedDocumentString } from './gql/graphql.js';

// The whole client: one POST per operation with plain fetch. The typed document carries its
// result and variable types, so execute() returns exactly the shape the operation selects.

export interface ClientOptions {
  /** e.g. http://127.0.0.1:4000/graphql */
  url: string;
  /** sent as x-api-key */
  apiKey: string;
  /** per request; default 10 s */
  timeoutMs?: number;
}

interface GraphQLResponse<TResult> {
  data?: TResult | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** A transport failure or a top-level GraphQL error: never one of the typed result unions. */
export class GatewayError extends Error {
  override name = 'GatewayError';
}

export type Execute = <TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
) => Promise<TResult>;

export function createClient({ url, apiKey, timeoutMs = 10_000 }: ClientOptions): Execute {
  return async function execute<TResult, TVariables>(
    document: TypedDocumentString<TResult, TVariables>,
    variables: TVariables,
  ): Promise<TResult> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          'x-api-key': apiKey,
        },
        body: JSON.stringify({ query: document.toString(), variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const cause = (error as Error & { cause?: { code?: string } }).cause?.code;
      throw new GatewayError(`cannot reach ${url}: ${(error as Error).message}${cause ? ` (${cause})` : ''}`, {
        cause: error,
      });
    }
    const text = await response.text();
    let body: GraphQLResponse<TResult>;
    try {
      body = JSON.parse(text) as GraphQLResponse<TResult>;
    } catch {
      throw new GatewayError(`HTTP ${response.status} from ${url}, not JSON: ${text.slice(0, 200)}`);
    }
    if (body.errors?.length) {
      const messages = body.errors.map((e) => `${e.message}${e.extensions?.code ? ` [${e.extensions.code}]` : ''}`);
      throw new GatewayError(`HTTP ${response.status}: ${messages.join('; ')}`);
    }
    if (!response.ok || body.data == null) {
      throw new GatewayError(`HTTP ${response.status} from ${url} without data: ${text.slice(0, 200)}`);
    }
    return body.data;
  };
}
