import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { clientKey } from './client-key.ts';

export interface ConnectionLimits {
  /** Open connections one client address (an IPv6 /64) may hold; 0: no limit. */
  perAddress: number;
  /** A connection that has sent nothing after this is closed. */
  firstByteTimeoutMs: number;
}

/**
 * Two limits Node.js's server has no option for. MAX_CONNECTIONS caps the whole server, so one address holding
 * idle sockets could take every slot and lock everyone else out: each address gets a share, and its connections
 * past it are closed as soon as they are accepted. And a connection that never sends a byte is closed after
 * FIRST_BYTE_TIMEOUT_MS instead of holding its slot for the whole headers timeout, which is meant for slow clients.
 */
export function limitConnections(server: Server, limits: ConnectionLimits): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = clientKey(socket.remoteAddress);
    const count = (open.get(address) ?? 0) + 1;
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
    if (limits.perAddress > 0 && count > limits.perAddress) {
      socket.destroy();
      return;
    }
    const timer = setTimeout(() => {
      if (socket.bytesRead === 0) socket.destroy();
    }, limits.firstByteTimeoutMs).unref();
    socket.once('close', () => clearTimeout(timer));
  });
}
