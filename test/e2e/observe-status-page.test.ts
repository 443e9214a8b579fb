/**
 * The status page in a real browser: Debian's chromium, headless, driven by playwright-core (which
 * downloads no browser of its own). node1's page shows VI_1 MASTER; after kill -9 of node1, node2's
 * already open page shows MASTER within 2 s of node2's "Entering MASTER STATE" line without being
 * reloaded. Screenshots are saved under the test's temp dir.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { withLab, makeTempDir } from '../helpers/lab';
import { withDaemons, logTimeMs } from '../helpers/e2e';
import { nextLogLine, observedPair } from '../helpers/ns-http';

const VIP = '192.0.2.100';
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

test('status page in headless Chromium: node1 MASTER; after kill -9 node2\'s open page shows MASTER within 2 s of its log line, no reload', { timeout: 120_000 }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: scripts/setup.sh installs Debian's chromium`);
  const shots = makeTempDir('kts-status-page-');
  await withLab({ hosts: 2, signal: t.signal, timeoutMs: 115_000 }, async (lab) => {
    const [h1, h2] = lab.hosts;
    await withDaemons(async (keep) => {
      const { a, b, ha, hb } = await observedPair(h1!, h2!, keep, VIP);
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true, timeout: 60_000 });
      try {
        await h1!.waitForAddress(VIP, { timeoutMs: 10_000 });
        await b.waitForLog(/\(VI_1\) Entering BACKUP STATE/, 10_000);
        const external: string[] = [];
        const p1 = await browser.newPage();
        p1.on('request', (r) => { if (!r.url().startsWith(ha.url)) external.push(r.url()); });
        await p1.goto(`${ha.url}/`);
        const state1 = p1.locator('tr[data-instance="VI_1"] td.state');
        await state1.filter({ hasText: 'MASTER' }).waitFor({ timeout: 5_000 });
        assert.match(await p1.locator('#health').innerText(), /^healthy/);
        assert.ok(await p1.locator('tr[data-actor="vrrp:VI_1"]').count() === 1, 'actor row');
        await p1.screenshot({ path: join(shots, 'node1-master.png'), fullPage: true });

        const p2 = await browser.newPage();
        p2.on('request', (r) => { if (!r.url().startsWith(hb.url)) external.push(r.url()); });
        let navigations = 0;
        p2.on('framenavigated', (f) => { if (f === p2.mainFrame()) navigations++; });
        await p2.goto(`${hb.url}/`);
        await p2.locator('tr[data-instance="VI_1"] td.state').filter({ hasText: 'BACKUP' }).waitFor({ timeout: 5_000 });
        await p2.evaluate(() => { (globalThis as unknown as { marker: number }).marker = 42; });
        const navBefore = navigations;

        const seen = b.logs().length;
        await a.kill9();
        const line = await nextLogLine(() => b.logs(), seen, /\(VI_1\) Entering MASTER STATE/, 10_000);
        const tLine = logTimeMs(line);
        await p2.locator('tr[data-instance="VI_1"] td.state').filter({ hasText: 'MASTER' }).waitFor({ timeout: 5_000 });
        const shown = Date.now();
        assert.ok(shown - tLine <= 2_000, `node2's page showed MASTER ${shown - tLine} ms after the log line`);
        assert.equal(navigations, navBefore, 'the page was reloaded');
        assert.equal(await p2.evaluate(() => (globalThis as unknown as { marker?: number }).marker), 42, 'the page was reloaded');
        assert.match(await p2.locator('tr[data-instance="VI_1"]').innerText(), /BACKUP→MASTER/);
        await p2.screenshot({ path: join(shots, 'node2-master.png'), fullPage: true });
        for (const f of ['node1-master.png', 'node2-master.png']) assert.ok(statSync(join(shots, f)).size > 1000, f);
        assert.deepEqual(external, [], 'the page loaded something from elsewhere');
        t.diagnostic(`screenshots in ${shots}`);
      } finally {
        await browser.close().catch(() => undefined);
        await Promise.all([ha.close(), hb.close()]);
      }
    });
  });
});
