// The crash canary of test/helpers/server-process.ts: a process that exits unasked fails its test, with its last
// output; one stopped as asked does not.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import t, { type Test } from 'tap';
import { crashCanary } from '../helpers/server-process.ts';

/** A child that prints a line, then exits with `code` after `ms`, watched by a canary that records instead of failing. */
function watched(code: number, ms: number) {
  const child = spawn(process.execPath, ['-e', `console.log('last words'); setTimeout(() => process.exit(${code}), ${ms})`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const failures: string[] = [];
  const recorder = { fail: (message: string) => failures.push(message) } as unknown as Test;
  const canary = crashCanary(recorder, child, () => output, 'the child');
  return { child, canary, failures };
}

t.test('an exit nobody asked for is a failure that shows the last output', async (t) => {
  const { child, failures } = watched(3, 50);
  await once(child, 'exit');
  t.equal(failures.length, 1, 'one failure');
  t.match(failures[0], /the child \d+ exited unasked \(code 3\)/);
  t.match(failures[0], 'last words');
});

t.test('a stop the test asked for is not', async (t) => {
  const { child, canary, failures } = watched(0, 60_000);
  await once(child.stdout, 'data');
  canary.ask();
  child.kill('SIGTERM');
  await once(child, 'exit');
  t.same(failures, []);
});
