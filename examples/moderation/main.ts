import { startModeration } from './service.ts';

// Runs the moderation example subgraph: npx tsx examples/moderation/main.ts [port]
const port = Number(process.argv[2] ?? process.env.PORT ?? 4001);
const moderation = await startModeration({ port });
console.log(`moderation subgraph at ${moderation.url}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void moderation.stop().then(() => process.exit(0)));
}
