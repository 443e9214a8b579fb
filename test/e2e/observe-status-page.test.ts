/**
 * The status page in a real browser: Debian's chromium, headless, driven by playwright-core (which
 * downloads no browser of its own). node1's page shows VI_1 MASTER; after kill -9 of node1, node2's
 * already open page shows MASTER within 2 s of node2's "Entering MASTER STATE" line without being
 * reloaded. Screenshots are saved under the test's temp dir.
 *
 * The LVS rows (no IPVS on the host: the weights the daemon would set): a virtual_server of two
 * TCP_CHECK real servers, one refusing, shows up 1 / 0 with weights, check counts and latency in
 * /metrics (strict format, documented names), in --dump-state's tables, /status.json and the page;
 * the same scrape shows the exporter's excluded-VIP state, garp delay and script state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { withLab, makeTempDir } from '../helpers/lab';
import { withDaemons, logTimeMs } from '../helpers/e2e';
import { nextLogLine, observedPair, httpInto, get } from '../helpers/ns-http';
import { startKeepalivedTs, vrrpConfig, repoRoot } from '../helpers/keepalived';
import { ktsCli, until } from '../helpers/bench-daemon';
import { parsePromText, documentedMetrics, type PromFamily } from '../helpers/prom-text';

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

test('LVS rows on /metrics, --dump-state and the status page: a virtual_server of two TCP_CHECK real servers, one refusing: /metrics (strict, documented names) shows up 1 and 0 with weights and check counts; --dump-state and /status.json show the rows; exporter excluded-VIP, garp delay and script state', { timeout: 90_000 }, async (t) => {
  const shots = makeTempDir('kts-status-lvs-');
  await withLab({ hosts: 1, signal: t.signal, timeoutMs: 85_000 }, async (lab) => {
    const [h1] = lab.hosts;
    // the real server on 8081 accepts and closes; nothing listens on 8082 (refused)
    const rs = h1!.spawn([process.execPath, '-e', "require('node:net').createServer((s) => s.end()).listen(8081, '127.0.0.1', () => console.log('LISTENING'))"], { label: 'rs' });
    await rs.waitForOutput(/LISTENING/, 5_000);
    const cfg = `${vrrpConfig({
      state: 'MASTER', priority: 100, vips: [`${VIP}/24`],
      extraInstance: ['virtual_ipaddress_excluded {', '  198.51.100.200/24', '}', 'garp_master_delay 3', 'track_script {', '  chk_slow', '}'],
    })}
vrrp_script chk_slow {
  script "/bin/sleep 1.5"
  interval 1
  timeout 5
}

virtual_server 192.0.2.100 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 127.0.0.1 8081 {
    weight 3
    TCP_CHECK {
      connect_timeout 1
    }
  }
  real_server 127.0.0.1 8082 {
    weight 2
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
`;
    await withDaemons(async (keep) => {
      const a = keep(startKeepalivedTs(h1!, cfg, { args: ['--metrics-listen', '127.0.0.1:9650'] }));
      const ha = await httpInto(h1!, '127.0.0.1', 9650);
      try {
        const VS = '[192.0.2.100]:tcp:80';
        const RS1 = '[127.0.0.1]:tcp:8081';
        const RS2 = '[127.0.0.1]:tcp:8082';
        const scrape = async (): Promise<PromFamily[]> => parsePromText((await get(`${ha.url}/metrics`)).body);
        const val = (f: PromFamily[], name: string, labels: Record<string, string>): number | undefined =>
          f.find((x) => x.name === name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
        await h1!.waitForAddress(VIP, { timeoutMs: 10_000 });
        // both checkers have run (first check after 1 s + warmup ≤ delay_loop) and the view reached the listener
        const fams = await until('both real servers checked', async () => {
          const f = await scrape();
          const done = (rsx: string, result: string): boolean => (val(f, 'keepalived_ts_checker_checks_total', { rs: rsx, result }) ?? 0) > 0;
          return done(RS1, 'success') && done(RS2, 'failure') ? f : null;
        }, 15_000, 200);
        const documented = documentedMetrics(readFileSync(join(repoRoot(), 'docs', 'metrics.md'), 'utf8')).sort();
        assert.deepEqual(fams.map((f) => f.name).sort(), documented, 'metric names == docs/metrics.md');
        assert.equal(val(fams, 'keepalived_ts_real_server_up', { vs: VS, rs: RS1, checker: 'TCP_CHECK' }), 1);
        assert.equal(val(fams, 'keepalived_ts_real_server_up', { vs: VS, rs: RS2, checker: 'TCP_CHECK' }), 0);
        assert.equal(val(fams, 'keepalived_ts_real_server_weight', { rs: RS1 }), 3);
        assert.equal(val(fams, 'keepalived_ts_real_server_weight', { rs: RS2 }), 2);
        assert.equal(val(fams, 'keepalived_ts_real_server_ipvs_weight', { rs: RS1 }), 3, 'the weight it would set (no IPVS here)');
        assert.equal(val(fams, 'keepalived_ts_real_server_ipvs_weight', { rs: RS2 }), undefined, 'the refusing real server is out of the table');
        const lat = val(fams, 'keepalived_ts_checker_last_latency_seconds', { rs: RS1, checker: 'TCP_CHECK#0' });
        assert.ok(lat !== undefined && lat >= 0 && lat < 1, `check latency ${lat} s`);
        assert.equal(val(fams, 'keepalived_ts_virtual_server_quorum_up', { vs: VS }), 1);
        // the exporter's series the daemon now fills
        await until('MASTER (2) on the excluded VIP too', async () => val(await scrape(), 'keepalived_vrrp_excluded_state', { iname: 'VI_1', ip_address: '198.51.100.200' }) === 2, 3_000, 100);
        assert.equal(val(fams, 'keepalived_gratuitous_arp_delay_total', { iname: 'VI_1' }), 3);
        await until('keepalived_script_state running (1) while /bin/sleep 1.5 runs', async () => val(await scrape(), 'keepalived_script_state', { name: 'chk_slow' }) === 1, 10_000, 100);

        const dump = await ktsCli(h1!, ['--dump-state', '--control-socket', a.controlSocket]);
        assert.equal(dump.code, 0, dump.stderr);
        assert.match(dump.stdout, /\nVIRTUAL SERVERS \(IPVS unavailable\)\n/);
        assert.match(dump.stdout, /\[192\.0\.2\.100\]:tcp:80\s+UP\s+1\/2\n/);
        const row = (rsx: string): string => dump.stdout.split('\n').find((l) => l.startsWith(`${VS} `) && l.includes(rsx)) ?? '';
        assert.match(row(RS1), /\s+UP\s+3\s+3\s+TCP_CHECK#0 [1-9]\d*\/0\/0\s+\d+\.\dms\s+\S/);
        assert.match(row(RS2), /\s+DOWN\s+2\s+-\s+TCP_CHECK#0 0\/[1-9]\d*\/0\s+\d+\.\dms\s+TCP connection failed$/);
        const st = JSON.parse((await get(`${ha.url}/status.json`)).body) as { view: { lvs: { realServers: Array<{ rs: string; up: boolean; checkers: Array<{ lastReason: string }> }> } } };
        assert.deepEqual(st.view.lvs.realServers.map((r) => [r.rs, r.up]), [[RS1, true], [RS2, false]]);
        assert.match(st.view.lvs.realServers[1]!.checkers[0]!.lastReason, /TCP connection failed/);

        // the status page draws the same rows
        const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true, timeout: 60_000 });
        try {
          const page = await browser.newPage();
          await page.goto(`${ha.url}/`);
          const up = page.locator(`#rss tr[data-rs="${VS} ${RS1}"]`);
          const down = page.locator(`#rss tr[data-rs="${VS} ${RS2}"]`);
          await up.locator('td.UP').waitFor({ timeout: 5_000 });
          await down.locator('td.DOWN').waitFor({ timeout: 5_000 });
          assert.match(await up.innerText(), /UP\s+3\s+3\s+TCP_CHECK#0 [1-9]\d*\/0\/0\s+\d+\.\d ms\s+TCP connection success/);
          assert.match(await down.innerText(), /DOWN\s+2\s+-\s+TCP_CHECK#0 0\/[1-9]\d*\/0\s+\d+\.\d ms\s+TCP connection failed/);
          assert.match(await page.locator(`#vss tr[data-vs="${VS}"]`).innerText(), /UP\s+1\/2/);
          assert.match(await page.locator('#ipvs').innerText(), /IPVS unavailable/);
          await page.screenshot({ path: join(shots, 'lvs-rows.png'), fullPage: true });
        } finally {
          await browser.close().catch(() => undefined);
        }
      } finally {
        await ha.close();
      }
    });
  });
});
