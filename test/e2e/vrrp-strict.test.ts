/**
 * keepalived.conf(5) `accept` / `no_accept` and `vrrp_strict`: a non-owner MASTER holds its VIPs but
 * drops the traffic addressed to them (RFC 5798 Accept_Mode False), with keepalived's nftables table.
 * Each behaviour is checked on keepalived-ts and, where the real keepalived 2.2.7 is the reference,
 * on keepalived too: a client (h3) pings the VIP and the MASTER's own address, and the MASTER's
 * `nft list ruleset` is compared text for text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { withLab, type Host } from '../helpers/lab';
import { startKeepalived, startKeepalivedTs, vrrpConfig, type DaemonHandle } from '../helpers/keepalived';
import { withDaemons } from '../helpers/e2e';
import { until } from '../helpers/bench-daemon';

const VIP = '192.0.2.100';
const VIP2 = '192.0.2.101';
const VIP6 = '2001:db8::100';

function requireNft(): void {
  const r = spawnSync('nft', ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('vrrp-strict: nft is not installed (apt-get install nftables; scripts/setup.sh does it)');
}

/** true when `ip` answers one of two pings from `from` */
async function answers(from: Host, ip: string): Promise<boolean> {
  const r = await from.exec(['ping', ...(ip.includes(':') ? ['-6'] : []), '-n', '-c', '2', '-i', '0.2', '-W', '1', ip], { timeoutMs: 5_000 });
  return r.code === 0;
}

/** `nft list ruleset` with each set's elements sorted (the kernel's hash order is not stable) */
async function ruleset(h: Host): Promise<string> {
  const r = await h.exec(['nft', 'list', 'ruleset'], { check: true });
  return r.stdout.replace(/elements = \{([^}]*)\}/g, (_m, els: string) => `elements = { ${els.split(',').map((e) => e.trim()).sort().join(', ')} }`);
}

async function tables(h: Host): Promise<string> {
  return (await h.exec(['nft', 'list', 'tables'], { check: true })).stdout.trim();
}

type Start = (h: Host, conf: string) => DaemonHandle;
const DAEMONS: [string, Start][] = [
  ['keepalived 2.2.7', (h, c) => startKeepalived(h, c)],
  ['keepalived-ts', (h, c) => startKeepalivedTs(h, c)],
];

test('vrrp_strict (no_accept): the MASTER holds the VIP but does not answer on it, its own address answers; same ruleset as keepalived; nothing left after SIGTERM', { timeout: 90_000 }, async () => {
  requireNft();
  await withLab({ hosts: 3 }, async (lab) => {
    const [h1, , client] = lab.hosts as [Host, Host, Host];
    const conf = vrrpConfig({ state: 'MASTER', priority: 100, vips: [`${VIP}/24`, `${VIP2}/24`], authPass: null, extraGlobal: ['vrrp_strict'] });
    const seen: Record<string, string> = {};
    for (const [label, start] of DAEMONS) {
      await withDaemons(async (keep) => {
        const d = keep(start(h1, conf));
        await h1.waitForAddress(VIP, { timeoutMs: 15_000 });
        await d.waitForLog(/setting firewall drop rule/, 5_000);
        assert.equal(await answers(client, h1.ip4), true, `${label}: the MASTER's own address answers`);
        assert.equal(await answers(client, VIP), false, `${label}: the VIP must not answer (no_accept)`);
        seen[label] = await ruleset(h1);
        assert.match(seen[label]!, /table ip keepalived \{/, label);
        await d.stop();
        assert.equal(await tables(h1), '', `${label}: no nftables table after SIGTERM`);
        assert.equal(await h1.hasAddress(VIP), false);
      });
    }
    assert.equal(seen['keepalived-ts'], seen['keepalived 2.2.7'], 'the ruleset keepalived-ts installs is the one keepalived 2.2.7 installs');
  });
});

test('vrrp_strict + accept (VRRPv3): the MASTER answers on its VIP and installs no table, as keepalived 2.2.7', { timeout: 60_000 }, async () => {
  requireNft();
  await withLab({ hosts: 3 }, async (lab) => {
    const [h1, , client] = lab.hosts as [Host, Host, Host];
    const conf = vrrpConfig({ state: 'MASTER', priority: 100, version: 3, vips: [`${VIP}/24`], extraGlobal: ['vrrp_strict'], extraInstance: ['accept'] });
    for (const [label, start] of DAEMONS) {
      await withDaemons(async (keep) => {
        keep(start(h1, conf));
        await h1.waitForAddress(VIP, { timeoutMs: 15_000 });
        assert.equal(await answers(client, VIP), true, `${label}: accept: the VIP answers`);
        assert.equal(await tables(h1), '', `${label}: no table with accept`);
      });
    }
  });
});

test('vrrp_strict over IPv6: ping6 to the VIP gets no answer (neighbour discovery still works), same ip6 ruleset as keepalived', { timeout: 90_000 }, async () => {
  requireNft();
  await withLab({ hosts: 3 }, async (lab) => {
    const [h1, , client] = lab.hosts as [Host, Host, Host];
    const conf = vrrpConfig({ state: 'MASTER', priority: 100, version: 3, vips: [`${VIP6}/64`], extraGlobal: ['vrrp_strict'] });
    const seen: Record<string, string> = {};
    for (const [label, start] of DAEMONS) {
      await withDaemons(async (keep) => {
        const d = keep(start(h1, conf));
        await h1.waitForAddress(VIP6, { timeoutMs: 15_000 });
        await d.waitForLog(/setting firewall drop rule/, 5_000);
        assert.equal(await answers(client, h1.ip6), true, `${label}: own IPv6 address answers`);
        assert.equal(await answers(client, VIP6), false, `${label}: the IPv6 VIP must not answer`);
        const neigh = (await client.exec(['ip', '-6', 'neigh', 'show', VIP6])).stdout;
        assert.match(neigh, new RegExp(h1.mac), `${label}: the VIP's neighbour solicitation was answered (${neigh.trim()})`);
        seen[label] = await ruleset(h1);
        await d.stop();
        assert.equal(await tables(h1), '', `${label}: no table after SIGTERM`);
      });
    }
    assert.match(seen['keepalived 2.2.7']!, /table ip6 keepalived/);
    assert.equal(seen['keepalived-ts'], seen['keepalived 2.2.7']);
  });
});

test('vrrp_strict failover: the drop rule moves with the VIP; the BACKUP keeps the table with an empty set', { timeout: 90_000 }, async () => {
  requireNft();
  await withLab({ hosts: 3 }, async (lab) => {
    const [h1, h2, client] = lab.hosts as [Host, Host, Host];
    const cfg = (priority: number): string => vrrpConfig({ state: 'BACKUP', priority, vips: [`${VIP}/24`], authPass: null, extraGlobal: ['vrrp_strict'] });
    await withDaemons(async (keep) => {
      // h1 first: started together on a loaded machine, h2 can time out before h1's first advert and be
      // MASTER for a moment (then it rightly has a table), which is not what this test is about
      const a = keep(startKeepalivedTs(h1, cfg(100)));
      await h1.waitForAddress(VIP, { timeoutMs: 15_000 });
      await a.waitForLog(/setting firewall drop rule/, 5_000);
      const b = keep(startKeepalivedTs(h2, cfg(90)));
      await b.waitForLog(/\(VI_1\) Entering BACKUP STATE/, 10_000);
      assert.equal(await answers(client, VIP), false, 'VIP on h1 blocked');
      assert.match(await ruleset(h1), /elements = \{ 192\.0\.2\.100 \}/);
      assert.equal(await tables(h2), '', 'a BACKUP that was never MASTER has no table (keepalived makes it on the first MASTER)');
      await a.stop();
      await h2.waitForAddress(VIP, { timeoutMs: 10_000 });
      await until('h2 drop rule', async () => /elements = \{ 192\.0\.2\.100 \}/.test(await ruleset(h2)), 5_000);
      assert.equal(await tables(h1), '', 'h1 removed its table at SIGTERM');
      assert.equal(await answers(client, h2.ip4), true, 'the new MASTER answers on its own address');
      assert.equal(await answers(client, VIP), false, 'the VIP is blocked on the new MASTER too');
      // h1 returns with the higher priority and preempts: h2 releases the VIP and empties its set
      const a2 = keep(startKeepalivedTs(h1, cfg(100)));
      await h2.waitForAddress(VIP, { present: false, timeoutMs: 15_000 });
      await h1.waitForAddress(VIP, { timeoutMs: 5_000 });
      await a2.waitForLog(/setting firewall drop rule/, 5_000);
      await until('h2 set emptied', async () => {
        const r = await ruleset(h2);
        return /table ip keepalived/.test(r) && !/elements/.test(r);
      }, 5_000);
      assert.equal(await answers(client, VIP), false);
      await b.stop();
      assert.equal(await tables(h2), '');
    });
  });
});

test('no nft binary: E_NFT_MISSING is logged once, the MASTER still takes the VIP (unblocked)', { timeout: 60_000 }, async () => {
  await withLab({ hosts: 3 }, async (lab) => {
    const [h1, , client] = lab.hosts as [Host, Host, Host];
    const conf = vrrpConfig({ state: 'MASTER', priority: 100, vips: [`${VIP}/24`], authPass: null, extraGlobal: ['vrrp_strict'] });
    await withDaemons(async (keep) => {
      const d = keep(startKeepalivedTs(h1, conf, { env: { KTS_NFT: '/nonexistent/nft' } }));
      await h1.waitForAddress(VIP, { timeoutMs: 15_000 });
      await d.waitForLog(/E_NFT_MISSING/, 5_000);
      assert.equal(await answers(client, VIP), true, 'without nft nothing is blocked');
      await d.stop();
      assert.equal(d.logs().filter((l) => l.includes('E_NFT_MISSING')).length, 1);
      assert.equal(d.logs().some((l) => /E_NFT_FAILED|E_INTENT|"level":60/.test(l)), false, 'no other nftables or intent error');
    });
  });
});
