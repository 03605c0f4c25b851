import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Ports this process has handed out: none is handed out twice. */
const given = new Set<number>();

/**
 * The ports the kernel picks its outgoing connections' local ports from (Linux: 32768–60999). A port chosen by
 * listening on port 0 lies in that range too, so between its release and the child's listen an outgoing
 * connection of a busy machine can take it ("port already in use"); a port below the range cannot be taken so.
 */
function ephemeralStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return low !== undefined && low > 20_000 ? low : 0;
  } catch {
    return 0;
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port nothing listens on, for a process to be started on it (a child's own choice of port is not visible from
 * outside, and cluster workers must all be given the same one): random below the kernel's ephemeral range when it
 * is known, the kernel's choice otherwise.
 */
export async function freePort(): Promise<number> {
  const end = ephemeralStart();
  for (let tries = 0; end > 0 && tries < 100; tries++) {
    const port = 10_000 + Math.floor(Math.random() * (end - 10_000));
    if (given.has(port) || !(await bindable(port))) continue;
    given.add(port);
    return port;
  }
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
