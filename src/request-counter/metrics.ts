import { Gauge } from 'prom-client';
import { registry } from '../metrics/index.ts';

export const requestCounterBacklog = new Gauge({
  name: 'marquee_request_counter_backlog',
  help: 'Requests counted by this process and not yet flushed to the shared counter.',
  registers: [registry],
});
