// Per-client limits count an IPv6 client by its /64: one subscriber is routinely given a whole /64.
import t from 'tap';
import { clientKey } from '../../src/plugins/client-key.ts';
import { buildTestApp, inject } from '../helpers/app.ts';

t.test('the key of an address', async (t) => {
  const cases: [string | undefined, string][] = [
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['::FFFF:10.1.2.3', '10.1.2.3'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
    ['2001:DB8:1:2::', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    [undefined, ''],
  ];
  for (const [address, key] of cases) t.equal(clientKey(address), key, String(address));
});

t.test('addresses of one IPv6 /64 share one login limit; another /64 has its own', async (t) => {
  const { app } = await buildTestApp(t, { RATE_LIMIT_AUTH_MAX: '3' });
  const attempt = (remoteAddress: string) =>
    inject(app, {
      method: 'POST',
      url: '/api/auth/token/',
      payload: { username: `nobody-${remoteAddress}`, password: 'wrong-password' },
      remoteAddress,
    });
  const statuses = [];
  for (const address of ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:ffff::3', '2001:db8:1:2::4']) {
    statuses.push((await attempt(address)).statusCode);
  }
  t.same(statuses, [401, 401, 401, 429], 'the fourth address of the /64 is over the limit of 3');
  t.equal((await attempt('2001:db8:1:3::1')).statusCode, 401, 'the next /64 is another client');
  t.equal((await attempt('192.0.2.1')).statusCode, 401, 'an IPv4 client is its own');
});
