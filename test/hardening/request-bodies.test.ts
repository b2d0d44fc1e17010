import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createChat, createFlow, createThread } from '../helpers/fixtures.ts';
import { type TestServer, startTestServer } from '../helpers/server.ts';

let t: TestServer;
afterEach(async () => t.close());

interface Sent {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Bytes written before the answer arrived. */
  written: number;
}

/**
 * Sends `chunks` over a real socket with Transfer-Encoding: chunked and no Content-Length
 * (what node:http does for a body written in parts), a pause between chunks, and stops
 * writing as soon as an answer arrives.
 */
function sendChunked(url: string, path: string, headers: Record<string, string>, chunks: Iterable<string | Buffer>): Promise<Sent> {
  return new Promise((resolve, reject) => {
    let written = 0;
    let answered = false;
    const req = request(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString(), written }));
    });
    req.on('error', (error) => (answered ? undefined : reject(error)));
    const iterator = chunks[Symbol.iterator]();
    const next = () => {
      if (answered) return void req.destroy();
      const chunk = iterator.next();
      if (chunk.done) return void req.end();
      written += Buffer.byteLength(chunk.value);
      req.write(chunk.value, () => setTimeout(next, 1));
    };
    next();
  });
}

const halves = (text: string) => [text.slice(0, Math.floor(text.length / 2)), text.slice(Math.floor(text.length / 2))];

describe('bodies sent without Content-Length (chunked) arrive whole', () => {
  it('GraphQL: a query and a mutation answer as with Content-Length', async () => {
    t = await startTestServer();
    const query = await sendChunked(t.url, '/graphql', { 'x-api-key': t.keys.a }, halves(JSON.stringify({ query: '{ __typename }' })));
    expect(query.headers['transfer-encoding']).toBeUndefined();
    expect({ status: query.status, body: JSON.parse(query.body) }).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });

    const create = JSON.stringify({ query: 'mutation { createFlow(input: { name: "chunked", type: CHATFLOW }) { ... on CreateFlowSuccess { flow { name } } } }' });
    const created = await sendChunked(t.url, '/graphql', { 'x-api-key': t.keys.a }, halves(create));
    expect(JSON.parse(created.body)).toEqual({ data: { createFlow: { flow: { name: 'chunked' } } } });
    const flows = await t.gql('{ flows { edges { node { name } } } }');
    expect(flows.body.data.flows.edges).toEqual([{ node: { name: 'chunked' } }]);
  });

  it('GraphQL with an Idempotency-Key: the retry, also chunked, replays the first answer and writes once', async () => {
    t = await startTestServer();
    const create = JSON.stringify({ query: 'mutation { createFlow(input: { name: "once", type: CHATFLOW }) { ... on CreateFlowSuccess { flow { id } } } }' });
    const headers = { 'x-api-key': t.keys.a, 'idempotency-key': 'chunked-1' };
    const first = await sendChunked(t.url, '/graphql', headers, halves(create));
    const retry = await sendChunked(t.url, '/graphql', headers, halves(create));
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toBe(first.body);
    expect((await t.gql('{ flows { edges { node { id } } } }')).body.data.flows.edges).toHaveLength(1);
  });

  it('REST: POST /v1/messages/async sent chunked starts the stream', async () => {
    t = await startTestServer();
    const threadId = await createThread(t, await createChat(t, await createFlow(t)));
    const body = JSON.stringify({ thread_id: threadId, prompt: 'hello over a chunked body' });
    const started = await sendChunked(t.url, '/v1/messages/async', { 'x-api-key': t.keys.a }, halves(body));
    expect(started.status).toBe(202);
    expect(JSON.parse(started.body)).toMatchObject({ thread_id: threadId, status: 'queued' });
  });
});

describe('the body limit still holds for chunked bodies', () => {
  const MB = 1024 * 1024;
  const tenMegabytes = function* () {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    for (let sent = 0; sent < 10 * MB; sent += chunk.length) yield chunk;
  };

  it.each([
    ['/graphql', { errors: [{ message: `The request body is larger than ${MB} bytes`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] }],
    ['/v1/messages/async', { detail: `The request body is larger than ${MB} bytes`, code: 'PAYLOAD_TOO_LARGE' }],
  ])('%s: 10 MB chunked is refused with 413 once the limit is passed, not after the whole body', async (path, body) => {
    t = await startTestServer({ limits: { maxBodyBytes: MB } });
    const refused = await sendChunked(t.url, path, { 'x-api-key': t.keys.a }, tenMegabytes());
    expect({ status: refused.status, body: JSON.parse(refused.body) }).toEqual({ status: 413, body });
    expect(refused.written).toBeLessThan(3 * MB);
  });
});
