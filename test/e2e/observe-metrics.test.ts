/**
 * Observability of real daemons in the lab (--metrics-listen): after kill -9 of the MASTER the
 * BACKUP's scrapes show it MASTER (keepalived's number 2) with become-master one higher, in strict
 * exposition format with exactly the documented names; /readyz?instance=VI_1 turns unready within
 * 100 ms of the FAULT line and --ready=VI_1 exits 1; /healthz and --health stay healthy through 20
 * injected actor crashes and turn unhealthy when an actor is given up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withLab } from '../helpers/lab';
import { startKeepalivedTs, vrrpConfig, repoRoot } from '../helpers/keepalived';
import { withDaemons, logTimeMs } from '../helpers/e2e';
import { ktsCli, sleep, until } from '../helpers/bench-daemon';
import { httpInto, get, nextLogLine, observedPair } from '../helpers/ns-http';
import { parsePromText, documentedMetrics, type PromFamily } from '../helpers/prom-text';
import { request } from '../../src/supervisor';

const VIP = '192.0.2.100';
const LISTEN = ['--metrics-listen', '127.0.0.1:9650'];

function sample(fams: PromFamily[], name: string, iname = 'VI_1'): number {
  const f = fams.find((x) => x.name === name);
  const s = f?.samples.find((x) => x.labels.iname === iname);
  assert.ok(s, `${name}{iname="${iname}"} missing`);
  return s.value;
}

test('kill -9 of the MASTER: the BACKUP\'s first scrapes after "Entering MASTER STATE" show state 2 and become-master +1; strict format, documented names', { timeout: 90_000 }, async (t) => {
  await withLab({ hosts: 2, signal: t.signal, timeoutMs: 85_000 }, async (lab) => {
    const [h1, h2] = lab.hosts;
    await withDaemons(async (keep) => {
      const { a, b, ha, hb } = await observedPair(h1!, h2!, keep, VIP);
      let polling = false; // pollers stop in finally too, or a failed test would never exit
      try {
        await h1!.waitForAddress(VIP, { timeoutMs: 10_000 });
        await b.waitForLog(/\(VI_1\) Entering BACKUP STATE/, 10_000);
        const documented = documentedMetrics(readFileSync(join(repoRoot(), 'docs', 'metrics.md'), 'utf8')).sort();
        const stateOf = async (url: string): Promise<number> => sample(parsePromText((await get(`${url}/metrics`)).body), 'keepalived_vrrp_state');
        // a BACKUP may be MASTER for a moment at start-up, until node1's first advert
        await until('node1 MASTER (2), node2 BACKUP (1)', async () => (await stateOf(ha.url)) === 2 && (await stateOf(hb.url)) === 1, 10_000, 100);
        const before = await get(`${hb.url}/metrics`);
        assert.equal(before.status, 200);
        const fb = parsePromText(before.body);
        assert.deepEqual(fb.map((f) => f.name).sort(), documented, 'metric names == docs/metrics.md');
        assert.equal(sample(fb, 'keepalived_vrrp_state'), 1, 'node2 BACKUP');
        const bm0 = sample(fb, 'keepalived_become_master_total');
        // counters reach the listener within a second (the view is pushed at least every second)
        await until('adverts received', async () => sample(parsePromText((await get(`${hb.url}/metrics`)).body), 'keepalived_advertisements_received_total') > 0, 3_000, 100);
        assert.deepEqual(Object.keys(fb.find((f) => f.name === 'keepalived_vrrp_state')!.samples[0]!.labels).sort(), ['iname', 'intf', 'ip_address', 'vrid']);

        // scrape node2 at 10 Hz through the failover
        const polls: Array<{ t0: number; state: number; bm: number }> = [];
        polling = true;
        const poller = (async () => {
          while (polling) {
            const r = await get(`${hb.url}/metrics`).catch(() => null);
            if (r && r.status === 200) {
              const f = parsePromText(r.body);
              polls.push({ t0: r.t0, state: sample(f, 'keepalived_vrrp_state'), bm: sample(f, 'keepalived_become_master_total') });
            }
            await sleep(100);
          }
        })();
        const seen = b.logs().length;
        await a.kill9();
        const line = await nextLogLine(() => b.logs(), seen, /\(VI_1\) Entering MASTER STATE/, 10_000);
        const tLine = logTimeMs(line);
        const first = await get(`${hb.url}/metrics`);
        const ff = parsePromText(first.body);
        t.diagnostic(`line at ${tLine}, first scrape ${first.t0}..${first.t1}: ${first.body.split('\n').filter((l) => /^keepalived_(vrrp_state|become_master_total|ts_last_transition)/.test(l)).join(' | ')}`);
        assert.equal(sample(ff, 'keepalived_vrrp_state'), 2, 'first scrape after the line: MASTER (2)');
        assert.equal(sample(ff, 'keepalived_become_master_total'), bm0 + 1, 'become-master one higher');
        assert.ok(sample(ff, 'keepalived_ts_last_become_master_timestamp_seconds') * 1000 <= tLine + 5);
        await sleep(500);
        polling = false;
        await poller;
        const after = polls.filter((p) => p.t0 > tLine);
        assert.ok(after.length >= 2, `${after.length} polls after the line`);
        for (const p of after) assert.deepEqual([p.state, p.bm], [2, bm0 + 1], `poll at +${p.t0 - tLine} ms`);
        assert.ok(polls.some((p) => p.t0 < tLine && p.state === 1), 'polls before the line saw BACKUP');
      } finally {
        polling = false;
        await Promise.all([ha.close(), hb.close()]);
      }
    });
  });
});

test('/readyz?instance=VI_1 turns unready within 100 ms of the FAULT line, --ready=VI_1 exits 1, --health stays 0; back to ready', { timeout: 60_000 }, async (t) => {
  await withLab({ hosts: 1, signal: t.signal, timeoutMs: 55_000 }, async (lab) => {
    const [h1] = lab.hosts;
    const spare = await h1!.addVethSpare('track0');
    await withDaemons(async (keep) => {
      const a = keep(startKeepalivedTs(h1!, vrrpConfig({ state: 'MASTER', priority: 100, vips: [`${VIP}/24`], extraInstance: ['track_interface {', '  track0', '}'] }), { args: LISTEN }));
      const ha = await httpInto(h1!, '127.0.0.1', 9650);
      let polling = false; // pollers stop in finally too, or a failed test would never exit
      try {
        await h1!.waitForAddress(VIP, { timeoutMs: 10_000 });
        assert.equal((await get(`${ha.url}/readyz?instance=VI_1`)).status, 200);
        assert.equal((await ktsCli(h1!, ['--ready=VI_1', '--control-socket', a.controlSocket])).code, 0);
        const polls: Array<{ t0: number; t1: number; status: number }> = [];
        polling = true;
        const poller = (async () => {
          while (polling) {
            const r = await get(`${ha.url}/readyz?instance=VI_1`).catch(() => null);
            if (r) polls.push({ t0: r.t0, t1: r.t1, status: r.status });
            await sleep(5);
          }
        })();
        await h1!.setLink(spare.peer, false);
        const line = await a.waitForLog(/\(VI_1\) Entering FAULT STATE/, 10_000);
        const tLine = logTimeMs(line);
        await sleep(400);
        polling = false;
        await poller;
        const firstUnready = polls.find((p) => p.status === 503);
        assert.ok(firstUnready, 'never unready');
        assert.ok(firstUnready.t1 - tLine <= 100, `unready ${firstUnready.t1 - tLine} ms after the FAULT line`);
        for (const p of polls.filter((x) => x.t0 > tLine + 100)) assert.equal(p.status, 503, `ready again at +${p.t0 - tLine} ms`);
        assert.match((await get(`${ha.url}/readyz?instance=VI_1`)).body, /VI_1 is FAULT/);
        assert.equal((await get(`${ha.url}/readyz`)).status, 503);
        const probe = await ktsCli(h1!, ['--ready=VI_1', '--control-socket', a.controlSocket]);
        assert.equal(probe.code, 1, probe.stdout + probe.stderr);
        assert.match(probe.stdout, /not ready: VI_1 is FAULT/);
        assert.equal((await ktsCli(h1!, ['--ready', '--control-socket', a.controlSocket])).code, 1);
        assert.equal((await ktsCli(h1!, ['--health', '--control-socket', a.controlSocket])).code, 0, 'FAULT is not a liveness failure');
        assert.equal((await get(`${ha.url}/healthz`)).status, 200);
        await h1!.setLink(spare.peer, true);
        await until('ready again', async () => (await get(`${ha.url}/readyz?instance=VI_1`)).status === 200, 10_000, 50);
        assert.equal((await ktsCli(h1!, ['--ready=VI_1', '--control-socket', a.controlSocket])).code, 0);
      } finally {
        polling = false;
        await ha.close();
      }
    });
  });
});

test('/healthz and --health stay healthy through 20 injected actor crashes and turn unhealthy when an actor is given up', { timeout: 120_000 }, async (t) => {
  await withLab({ hosts: 1, signal: t.signal, timeoutMs: 115_000 }, async (lab) => {
    const [h1] = lab.hosts;
    await withDaemons(async (keep) => {
      const a = keep(startKeepalivedTs(h1!, vrrpConfig({ state: 'MASTER', priority: 100, vips: [`${VIP}/24`] }), { args: [...LISTEN, '--enable-fault-injection'] }));
      const ha = await httpInto(h1!, '127.0.0.1', 9650);
      const actor = async (id: string): Promise<{ state: string; restarts: number; givenUp: boolean }> => {
        const r = await request(a.controlSocket, { cmd: 'status' });
        assert.ok(r.ok);
        const x = (r.data as { actors: Array<{ id: string; state: string; restarts: number; givenUp: boolean }> }).actors.find((y) => y.id === id);
        assert.ok(x, `no actor ${id}`);
        return x;
      };
      let polling = false; // pollers stop in finally too, or a failed test would never exit
      try {
        await h1!.waitForAddress(VIP, { timeoutMs: 10_000 });
        const health: number[] = [];
        polling = true;
        const poller = (async () => {
          while (polling) {
            const r = await get(`${ha.url}/healthz`).catch(() => null);
            health.push(r ? r.status : 0);
            await sleep(20);
          }
        })();
        for (let i = 1; i <= 20; i++) {
          const r = await request(a.controlSocket, { cmd: 'fault-inject', actor: 'vrrp:VI_1', fault: 'crash' });
          assert.ok(r.ok, JSON.stringify(r));
          await until(`restart ${i}`, async () => {
            const x = await actor('vrrp:VI_1');
            return x.restarts >= i && x.state === 'running';
          }, 10_000, 20);
          if (i === 10) assert.equal((await ktsCli(h1!, ['--health', '--control-socket', a.controlSocket])).code, 0);
        }
        polling = false;
        await poller;
        assert.ok(health.length > 20, `${health.length} health polls`);
        assert.deepEqual([...new Set(health)], [200], 'healthy throughout the crashes');
        const hc = await ktsCli(h1!, ['--health', '--control-socket', a.controlSocket]);
        assert.equal(hc.code, 0, hc.stdout);
        const vrrpRestarts = async (): Promise<number> => {
          const m = parsePromText((await get(`${ha.url}/metrics`)).body);
          return m.find((f) => f.name === 'keepalived_ts_actor_restarts_total')!.samples.filter((x) => x.labels.kind === 'vrrp').reduce((n, x) => n + x.value, 0);
        };
        await until('20 restarts in /metrics', async () => (await vrrpRestarts()) === 20, 3_000, 100);
        assert.equal(await h1!.hasAddress(VIP), true, 'the VIP stayed');

        // the link monitor has the default policy (10 restarts in 60 s): the 11th crash gives it up
        for (let i = 0; i < 30 && !(await actor('link:eth0')).givenUp; i++) {
          await until('link monitor running', async () => {
            const x = await actor('link:eth0');
            return x.state === 'running' || x.givenUp;
          }, 5_000, 20);
          if ((await actor('link:eth0')).givenUp) break;
          await request(a.controlSocket, { cmd: 'fault-inject', actor: 'link:eth0', fault: 'crash' });
          await sleep(30);
        }
        assert.equal((await actor('link:eth0')).givenUp, true);
        await until('unhealthy', async () => (await get(`${ha.url}/healthz`)).status === 503, 3_000, 20);
        assert.match((await get(`${ha.url}/healthz`)).body, /actor link:eth0 given up/);
        const hu = await ktsCli(h1!, ['--health', '--control-socket', a.controlSocket]);
        assert.equal(hu.code, 1, hu.stdout);
        assert.match(hu.stdout, /unhealthy: actor link:eth0 given up/);
      } finally {
        polling = false;
        await ha.close();
      }
    });
  });
});
