import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub } from '@graphql-yoga/subscription';
import { Redis } from 'ioredis';
import { type Channels, LiveHub } from './live-hub.ts';
import { RedisConnectionRegistry } from './redis-connections.ts';

/**
 * The live state of one of several replicas: events fan out through Redis pub/sub, the
 * connection registry lives in Redis, and stream cancellations reach the replica that
 * runs the stream's generator through the same pub/sub.
 */
export async function redisLiveHub(url: string, connectionTtlMs: number): Promise<LiveHub> {
  const publishClient = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  // Fail start-up with a clear error instead of retrying in the background forever.
  await Promise.all([publishClient.connect(), subscribeClient.connect()]);
  const pubsub = createPubSub<Channels>({
    eventTarget: createRedisEventTarget({ publishClient, subscribeClient }),
  });
  const registry = new RedisConnectionRegistry(publishClient, connectionTtlMs);
  return new LiveHub(pubsub, registry, async () => {
    await Promise.all([publishClient.quit(), subscribeClient.quit()]);
  });
}
