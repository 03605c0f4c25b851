import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { Test } from 'tap';

export interface HoldingProxy {
  port: number;
  /** From now on, bytes from clients are kept instead of forwarded. */
  hold(): void;
  /** Resolves when held bytes have arrived. */
  holding(): Promise<void>;
  /** Forwards everything kept, and everything after it. */
  release(): void;
}

/**
 * A TCP proxy in front of the Redis at `redisUrl` that can stop forwarding the client's bytes: a dependency that
 * is slow for exactly as long as the test decides, without sleeping or patching the service. Closed in teardown.
 */
export async function startHoldingProxy(t: Test, redisUrl: string): Promise<HoldingProxy> {
  const { hostname, port } = new URL(redisUrl);
  const target = { host: hostname, port: Number(port || 6379) };
  let holding = false;
  const held: Array<{ upstream: Socket; data: Buffer }> = [];
  const heldWaiters: Array<() => void> = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(target);
    sockets.add(client).add(upstream);
    client.on('data', (data) => {
      if (!holding) {
        upstream.write(data);
        return;
      }
      held.push({ upstream, data });
      for (const waiter of heldWaiters.splice(0)) waiter();
    });
    upstream.on('data', (data) => client.write(data));
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', closeBoth).on('error', closeBoth);
    upstream.on('close', closeBoth).on('error', closeBoth);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    server.close();
    await once(server, 'close');
  });
  return {
    port: (server.address() as { port: number }).port,
    hold() {
      holding = true;
    },
    holding: () =>
      held.length > 0 ? Promise.resolve() : new Promise<void>((resolve) => heldWaiters.push(resolve)),
    release() {
      holding = false;
      for (const { upstream, data } of held.splice(0)) upstream.write(data);
    },
  };
}
