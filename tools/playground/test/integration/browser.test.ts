/**
 * The playground in a real browser: playwright-core drives Debian's chromium (no browser download) against
 * `startPlayground()`, the same entry `npm run playground` uses. Each step is screenshotted under
 * test-artefacts/playground/; the test fails on any console error, page error or failed request.
 * Skips, saying why, when playwright-core or a chromium binary is missing.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Playground, startPlayground } from '../../playground.js';

type PW = typeof import('playwright-core');
type Browser = Awaited<ReturnType<PW['chromium']['launch']>>;
type Page = Awaited<ReturnType<Browser['newPage']>>;

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p): p is string => Boolean(p && existsSync(p)),
);
let pw: PW | undefined;
try {
  pw = await import('playwright-core');
} catch {
  pw = undefined;
}
const skipReason = !pw
  ? 'playwright-core is not installed (npm ci installs it from devDependencies)'
  : !CHROMIUM
    ? 'no chromium binary (apt-get install chromium, or set CHROMIUM_PATH)'
    : null;
if (skipReason) console.warn(`playground browser test: skipped: ${skipReason}`);
const d = skipReason ? describe.skip : describe;

const ARTEFACTS = join(process.cwd(), 'test-artefacts', 'playground');
const REQUESTER = 'U0PGREQ01';
const APPROVER = 'U0PGAPP01';
const VIEWER = 'U0PGVIEW1';

d('the playground page in chromium', () => {
  let pg: Playground;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  let step = 0;
  const shot = async (name: string) => {
    step += 1;
    await page.screenshot({
      path: join(ARTEFACTS, `${String(step).padStart(2, '0')}-${name}.png`),
      fullPage: true,
    });
  };
  const send = async (text: string) => {
    await page.fill('#command', text);
    await page.press('#command', 'Enter');
  };
  const as = async (user: string) => {
    await page.selectOption('#user', user);
    // The page marks whose view it shows once it rendered that person's state.
    await page.locator(`body[data-user="${user}"]`).waitFor();
  };

  beforeAll(async () => {
    mkdirSync(ARTEFACTS, { recursive: true });
    pg = await startPlayground({ redisUrl: process.env.REDIS_URL });
    browser = await pw!.chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => {
      // A download the page started and the browser handed to its download manager is not a failure.
      if (r.failure()?.errorText !== 'net::ERR_ABORTED' || !r.url().includes('/pg/files/'))
        problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
    });
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${pg.url}?user=${REQUESTER}`);
    await page.waitForSelector('#messages .empty');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await pg?.close();
  });

  it('diagnose → findings thread → Re-run; mem requested, approved, result; refusals and errors', async () => {
    await shot('empty-channel');

    // 1. diagnose: the findings land in a thread under the channel message.
    await send('/poddebug diagnose deploy/checkout -n shop');
    const replies = page.locator('#messages [data-open-thread]').first();
    await replies.waitFor({ timeout: 20_000 });
    await replies.click();
    const thread = page.locator('#thread');
    await expect(thread.locator('.bk-header').first().textContent()).resolves.toContain('shop/checkout');
    await thread.getByText('OOMKilled').first().waitFor();
    await expect(thread.locator('.bk-unsupported').count()).resolves.toBe(0);
    await shot('findings-thread');

    // 2. Re-run: the button diagnoses again, in the same thread (a status reply, then the findings).
    const before = await thread.locator('.msg').count();
    await thread.locator('button[data-action-id="poddebug_rerun"]').first().click();
    await thread
      .locator('.msg')
      .nth(before + 1)
      .waitFor({ timeout: 20_000 });
    await thread.locator('.msg').last().getByText('OOMKilled').first().waitFor();
    await shot('rerun');

    // 3. A malformed command: its ephemeral error, marked as only visible to the sender.
    await send('/poddebug diagnose');
    const eph = page.locator('#messages .msg.ephemeral').last();
    await eph.waitFor();
    await expect(eph.textContent()).resolves.toMatch(/Only visible to you[\s\S]*Missing target/);
    await shot('malformed-command');

    // 4. A person without grants is refused.
    await as(VIEWER);
    await send('/poddebug diagnose deploy/checkout -n shop');
    await page.locator('#messages .msg.ephemeral', { hasText: 'no grant' }).waitFor();
    await shot('viewer-refused');

    // 5. mem as the requester: the reason form (a modal), then the request message with its approval.
    await as(REQUESTER);
    const live = pg.probesUnavailable ? 'checkout-7d9f8b6c5-x2kqp' : 'checkout-live-0';
    await send(`/poddebug mem ${live} -n shop --watch 5s`);
    const modal = page.locator('.bk-modal');
    await modal.waitFor();
    await expect(modal.locator('.bk-modal-title').textContent()).resolves.toBe('Privileged probe');
    await shot('reason-form');
    await modal.locator('textarea').fill('INC-2031: checkout pods OOMKilled, want to see memory');
    await modal.locator('button[type=submit]').click();
    await modal.waitFor({ state: 'detached' });
    const request = page.locator('#messages .msg', { hasText: '🔐' }).last();
    await request.waitFor({ timeout: 20_000 });
    await request.locator('[data-open-thread]').click();
    const approve = thread.locator('button[data-action-id="poddebug_approve"]');
    await approve.waitFor({ timeout: 20_000 });
    await shot('awaiting-approval');

    // 6. The requester cannot approve their own request (an ephemeral says so); the approver can.
    await approve.click();
    await thread.locator('.msg.ephemeral', { hasText: 'cannot approve your own request' }).waitFor();
    await shot('self-approval-refused');
    await as(APPROVER);
    await approve.click();
    if (pg.probesUnavailable) {
      await expect(page.locator('#probe-note').textContent()).resolves.toContain('cannot run here');
      await shot('approved-probes-unavailable');
    } else {
      const result = thread.locator('.msg', {
        has: page.locator('.bk-header', { hasText: '🔬 mem · shop/checkout-live-0' }),
      });
      await result.waitFor({ timeout: 60_000 });
      await expect(result.locator('.bk-unsupported').count()).resolves.toBe(0);
      // The memory chart of --watch, uploaded as a file: a card that downloads it.
      const card = thread.locator('.file-card').first();
      await card.waitFor({ timeout: 30_000 });
      await shot('probe-result');
      const [download] = await Promise.all([page.waitForEvent('download'), card.click()]);
      const saved = join(ARTEFACTS, download.suggestedFilename());
      await download.saveAs(saved);
      expect(statSync(saved).size).toBeGreaterThan(0);
    }

    // 7. The audit trail side panel.
    await page.click('[data-tab="audit"]');
    await page.locator('#audit .audit-entry', { hasText: 'approved' }).first().waitFor();
    await shot('audit-trail');

    expect(problems).toEqual([]);
  }, 180_000);
});
