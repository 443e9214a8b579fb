/**
 * keepalived.conf(5) virtual_routes / virtual_rules ("routes add|del when changing to MASTER, to
 * BACKUP") and static_routes / static_rules / static_ipaddress, with our daemon against the real
 * keepalived 2.2.7: the routes and rules are on the MASTER only and follow the VIP both ways.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withLab, type Host } from '../helpers/lab';
import { startKeepalived, startKeepalivedTs, vrrpConfig } from '../helpers/keepalived';
import { dumpLogs } from '../helpers/e2e';

const VIP = '192.0.2.100';
const ROUTES = [
  'virtual_routes {',
  '  198.51.100.0/25 via 192.0.2.1',
  '  198.51.100.128/25 dev eth0 table 100',
  '  blackhole 198.51.100.64/26 table 100',
  '}',
  'virtual_rules {',
  '  from 198.51.100.0/24 table 100 priority 100',
  '}',
];
const STATIC = [
  'static_ipaddress {',
  '  198.51.100.250/32 dev eth0',
  '}',
  'static_routes {',
  '  198.51.100.200/32 dev eth0 table 101',
  '}',
  'static_rules {',
  '  to 198.51.100.200/32 table 101 priority 101',
  '}',
];

async function sh(h: Host, ...cmd: string[]): Promise<string> {
  return (await h.exec(cmd, { check: true })).stdout;
}

/** What `ip route` / `ip rule` show of the virtual routes and rules, normalised. */
async function held(h: Host): Promise<{ main: boolean; t100: boolean; blackhole: boolean; rule: boolean }> {
  const main = await sh(h, 'ip', '-4', 'route', 'show', 'table', 'main');
  const t100 = await sh(h, 'ip', '-4', 'route', 'show', 'table', '100');
  const rules = await sh(h, 'ip', '-4', 'rule', 'show');
  return {
    main: /^198\.51\.100\.0\/25 via 192\.0\.2\.1 dev eth0/m.test(main),
    t100: /^198\.51\.100\.128\/25 dev eth0/m.test(t100),
    blackhole: /^blackhole 198\.51\.100\.64\/26/m.test(t100),
    rule: /^100:\s+from 198\.51\.100\.0\/24 lookup 100/m.test(rules),
  };
}

const ALL = { main: true, t100: true, blackhole: true, rule: true };
const NONE = { main: false, t100: false, blackhole: false, rule: false };

async function waitHeld(h: Host, want: typeof ALL, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = await held(h);
  while (JSON.stringify(last) !== JSON.stringify(want)) {
    if (Date.now() > end) assert.deepEqual(last, want, `${h.name}: virtual routes/rules`);
    await new Promise((r) => setTimeout(r, 100));
    last = await held(h);
  }
}

test('virtual_routes and virtual_rules are on the MASTER only and follow the VIP between keepalived-ts and keepalived 2.2.7', { timeout: 90_000 }, async () => {
  await withLab({ hosts: 2 }, async (lab) => {
    const [h1, h2] = lab.hosts as [Host, Host];
    const oursCfg = vrrpConfig({ state: 'MASTER', priority: 100, vips: [`${VIP}/24`], extraInstance: ROUTES }) + STATIC.join('\n') + '\n';
    let ours = startKeepalivedTs(h1, oursCfg);
    const peer = startKeepalived(h2, vrrpConfig({ state: 'BACKUP', priority: 90, vips: [`${VIP}/24`], extraInstance: ROUTES }));
    try {
      await h1.waitForAddress(VIP, { timeoutMs: 10_000 });
      await waitHeld(h1, ALL, 3000);
      await waitHeld(h2, NONE, 100);
      // static entries: there from the start, independent of the VRRP state
      assert.equal(await h1.hasAddress('198.51.100.250'), true, 'static_ipaddress');
      assert.match(await sh(h1, 'ip', 'route', 'show', 'table', '101'), /^198\.51\.100\.200 dev eth0 proto (keepalived|18)/m);
      assert.match(await sh(h1, 'ip', 'rule', 'show'), /^101:\s+from all to 198\.51\.100\.200 lookup 101/m);
      // our routes carry keepalived's protocol tag, like keepalived's own
      assert.match(await sh(h1, 'ip', 'route', 'show', '198.51.100.0/25'), /proto (keepalived|18)/);

      // graceful stop: keepalived takes the VIP, the routes and the rule; ours removed everything
      await ours.stop();
      await h2.waitForAddress(VIP, { timeoutMs: 10_000 });
      await waitHeld(h2, ALL, 3000);
      await waitHeld(h1, NONE, 100);
      assert.equal(await h1.hasAddress('198.51.100.250'), false, 'static_ipaddress removed at stop');
      assert.doesNotMatch(await sh(h1, 'ip', 'route', 'show', 'table', '101'), /198\.51\.100\.200/);
      assert.doesNotMatch(await sh(h1, 'ip', 'rule', 'show'), /lookup 101/);

      // back: priority 100 preempts, everything moves back to us and leaves keepalived
      ours = startKeepalivedTs(h1, oursCfg);
      await h1.waitForAddress(VIP, { timeoutMs: 10_000 });
      await waitHeld(h1, ALL, 3000);
      await h2.waitForAddress(VIP, { present: false, timeoutMs: 5000 });
      await waitHeld(h2, NONE, 3000);
    } catch (e) {
      dumpLogs([ours, peer]);
      throw e;
    } finally {
      await ours.stop().catch(() => undefined);
      await peer.stop().catch(() => undefined);
    }
  });
});
