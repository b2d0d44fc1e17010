import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startGateway } from './gateway.ts';

// npm start -- [--supergraph supergraph.graphql] [--port 4002]
const { values } = parseArgs({
  options: {
    supergraph: { type: 'string', default: 'supergraph.graphql' },
    port: { type: 'string', default: process.env.PORT ?? '4002' },
  },
});
const gateway = await startGateway({ supergraph: readFileSync(values.supergraph, 'utf8'), port: Number(values.port) });
console.log(`supergraph gateway at ${gateway.url}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void gateway.stop().then(() => process.exit(0)));
}
