import { Gauge } from 'prom-client';
import { registry } from '../metrics/index.ts';
import { hashingPool } from './passwords.ts';

// Read at scrape time: the pool may be replaced (configureHashing), so it is looked up each time.
new Gauge({
  name: 'marquee_password_hash_queue_length',
  help: 'Password hashes waiting for a hashing thread; at marquee_password_hash_queue_capacity the next is a 503.',
  registers: [registry],
  collect() {
    this.set(hashingPool().queued);
  },
});

new Gauge({
  name: 'marquee_password_hash_queue_capacity',
  help: 'Most password hashes that may wait for a thread (HASH_QUEUE).',
  registers: [registry],
  collect() {
    this.set(hashingPool().options.queue);
  },
});
