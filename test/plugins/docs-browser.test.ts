import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import t from 'tap';
import { buildTestApp } from '../helpers/app.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = fileURLToPath(new URL('../../test-output/docs.png', import.meta.url));

if (!existsSync(CHROMIUM)) {
  t.plan(
    0,
    `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run the docs check`,
  );
} else {
  t.test('/docs renders every operation in a real browser, within the Content-Security-Policy', async (t) => {
    const { app } = await buildTestApp(t);
    const base = await app.listen({ host: '127.0.0.1', port: 0 });

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    t.teardown(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1280, height: 2400 } });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
    page.on('response', (res) => {
      if (res.status() >= 400) problems.push(`${res.status()} for ${res.url()}`);
    });
    // The browser reports each blocked load or inline script as a securitypolicyviolation event.
    await page.addInitScript(`
      document.addEventListener('securitypolicyviolation', (event) => {
        console.error('CSP violation: ' + event.violatedDirective + ' ' + event.blockedURI);
      });
    `);

    const response = await page.goto(`${base}/docs`);
    t.equal(response?.status(), 200);
    await page.waitForFunction("document.querySelectorAll('.opblock').length >= 45", undefined, {
      timeout: 60_000,
    });
    const operations = await page.locator('.opblock').count();
    t.ok(operations >= 45, `${operations} operations rendered`);
    t.match(await page.locator('.info .title').first().textContent(), 'Marquee API', 'the spec title');
    t.ok(await page.locator('.opblock-summary-path[data-path="/metrics"]').count(), '/metrics is listed');

    // "Try it out" calls this very server (the spec's first server is "/"), which connect-src 'self' allows.
    const health = page.locator('#operations-operations-getHealth');
    await health.locator('.opblock-summary').click();
    await health.locator('button.try-out__btn').click();
    await health.locator('button.execute').click();
    const status = health.locator('.live-responses-table tbody .response-col_status').first();
    await status.waitFor({ timeout: 30_000 });
    t.equal(
      (await status.textContent())?.trim().split(/\s/)[0],
      '200',
      'Try it out: GET /health answered 200',
    );

    mkdirSync(fileURLToPath(new URL('../../test-output/', import.meta.url)), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    t.ok(existsSync(SCREENSHOT), `screenshot saved to ${SCREENSHOT}`);
    t.same(problems, [], 'no CSP violation, script error or failed load');
  });
}
