// MAX_CONNECTIONS_PER_ADDRESS counts an IPv6 client by its /64. This machine's loopback has one IPv6 address, so
// the server's 'connection' events are driven with sockets that say where they come from.
import { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import t from 'tap';
import { limitConnections } from '../../src/plugins/connection-limits.ts';

class FakeSocket extends EventEmitter {
  destroyed = false;
  bytesRead = 0;
  readonly remoteAddress: string;
  constructor(remoteAddress: string) {
    super();
    this.remoteAddress = remoteAddress;
  }
  destroy() {
    this.destroyed = true;
    this.emit('close');
  }
}

t.test('connections past the share of one /64 are closed; another /64 and IPv4 keep theirs', async (t) => {
  const server = new EventEmitter();
  limitConnections(server as unknown as Server, { perAddress: 2, firstByteTimeoutMs: 60_000 });
  const connect = (address: string) => {
    const socket = new FakeSocket(address);
    server.emit('connection', socket);
    return socket;
  };
  const sameNetwork = ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:ffff::3'].map(connect);
  t.same(
    sameNetwork.map((socket) => socket.destroyed),
    [false, false, true],
    'the third connection from one /64 is closed, though each came from its own address',
  );
  t.notOk(connect('2001:db8:1:3::1').destroyed, 'the next /64 is another client');
  t.notOk(connect('::ffff:192.0.2.1').destroyed, 'an IPv4 client (v4-mapped) is its own');
  sameNetwork[0]!.destroy();
  t.notOk(connect('2001:db8:1:2::9').destroyed, 'a closed connection frees a place in its /64');
});
