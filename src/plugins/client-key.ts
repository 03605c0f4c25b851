import { isIPv6 } from 'node:net';

/** The hextets of an IPv6 address, `::` expanded and an embedded IPv4 tail counted as two. */
function hextets(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const part = (text: string) =>
    text === '' ? [] : text.split(':').flatMap((piece) => (piece.includes('.') ? ['0', '0'] : [piece]));
  const front = part(head);
  if (tail === undefined) return front;
  const back = part(tail);
  return [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back];
}

/**
 * Who a per-client limit counts: an IPv4 address (a v4-mapped one too) as it is, an IPv6 address by its /64. One
 * subscriber is routinely given a whole /64, so counting single IPv6 addresses would give one client 2^64 shares.
 */
export function clientKey(address: string | undefined): string {
  if (address === undefined) return '';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  const bare = address.split('%', 1)[0]!;
  if (!isIPv6(bare)) return address;
  const prefix = hextets(bare)
    .slice(0, 4)
    .map((hextet) => Number.parseInt(hextet, 16).toString(16));
  return `${prefix.join(':')}::/64`;
}
