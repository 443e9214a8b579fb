/**
 * rtnetlink through src/io: virtual_ipaddress entries (`192.0.2.100/24 brd + dev eth0 scope link
 * label eth0:1`, keepalived.conf(5)) land in the kernel exactly as `ip addr add` puts them; link
 * changes reach the link reflector; use_vmac's macvlan is created and deleted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Host } from '../helpers/lab';
import { withLab } from '../helpers/lab';
import { runIo, spawnIo } from '../helpers/io-run';
import type { VipSpec } from '../../src/io';

/** `ip -j addr show dev` entry for one address, without the ever-changing lifetimes. */
async function addrEntry(h: Host, dev: string, ip: string): Promise<Record<string, unknown> | undefined> {
  const r = await h.exec(['ip', '-j', 'addr', 'show', 'dev', dev], { check: true });
  const links = JSON.parse(r.stdout) as Array<{ addr_info: Array<Record<string, unknown>> }>;
  const e = links.flatMap((l) => l.addr_info).find((a) => a.local === ip);
  if (!e) return undefined;
  const { valid_life_time: _v, preferred_life_time: _p, ...rest } = e;
  return rest;
}

const CASES: Array<{ name: string; ipArgs: string[]; vip: VipSpec }> = [
  {
    // another subnet than eth0's 192.0.2.11/24: the kernel refuses a secondary whose scope differs
    name: 'IPv4 with brd +, scope link and a label',
    ipArgs: ['198.51.100.100/24', 'brd', '+', 'scope', 'link', 'label', 'eth0:1', 'dev', 'eth0'],
    vip: { address: '198.51.100.100', prefixLen: 24, dev: 'eth0', brd: '+', scope: 'link', label: 'eth0:1' },
  },
  {
    name: 'IPv4 /32 with an explicit broadcast and host scope',
    ipArgs: ['192.0.2.101/32', 'brd', '192.0.2.101', 'scope', 'host', 'dev', 'eth0'],
    vip: { address: '192.0.2.101', prefixLen: 32, dev: 'eth0', brd: '192.0.2.101', scope: 'host' },
  },
  {
    name: 'IPv6 with nodad and noprefixroute',
    ipArgs: ['2001:db8::100/64', 'dev', 'eth0', 'nodad', 'noprefixroute'],
    vip: { address: '2001:db8::100', prefixLen: 64, dev: 'eth0', nodad: true, noprefixroute: true },
  },
];

test('virtual_ipaddress: addAddress gives the same `ip -j addr` entry as `ip addr add`, removeAddress removes it', async (t) => {
  await withLab({ hosts: 1, signal: t.signal, timeoutMs: 60_000 }, async (lab) => {
    const h1 = lab.hosts[0]!;
    for (const c of CASES) {
      await h1.exec(['ip', 'addr', 'add', ...c.ipArgs], { check: true });
      const want = await addrEntry(h1, 'eth0', c.vip.address);
      assert.ok(want, `${c.name}: ip addr add worked`);
      await h1.exec(['ip', 'addr', 'del', c.ipArgs[0]!, 'dev', 'eth0'], { check: true });
      assert.equal(await addrEntry(h1, 'eth0', c.vip.address), undefined);

      assert.deepEqual(await runIo(h1, { op: 'addr-add', vip: c.vip }), { ok: true }, c.name);
      assert.deepEqual(await addrEntry(h1, 'eth0', c.vip.address), want, c.name);

      const listed = (await runIo(h1, { op: 'addr-list', ifname: 'eth0' })).addresses!;
      const mine = listed.find((a) => a.address === c.vip.address);
      assert.ok(mine, `${c.name}: listAddresses shows it`);
      assert.equal(mine.prefixLen, c.vip.prefixLen);
      assert.equal(mine.ifname, 'eth0');
      assert.equal(mine.scope, c.vip.scope ?? 'global');
      if ('label' in c.vip) assert.equal(mine.label, c.vip.label);

      const again = await runIo(h1, { op: 'addr-add', vip: c.vip });
      assert.deepEqual([again.error?.code, again.error?.errno], ['E_NETLINK', 'EEXIST'], `${c.name}: adding twice is EEXIST`);

      assert.deepEqual(await runIo(h1, { op: 'addr-del', vip: c.vip }), { ok: true });
      assert.equal(await addrEntry(h1, 'eth0', c.vip.address), undefined, `${c.name}: removed`);
      const gone = await runIo(h1, { op: 'addr-del', vip: c.vip });
      assert.deepEqual([gone.error?.code, gone.error?.errno], ['E_NETLINK', 'EADDRNOTAVAIL']);
    }
  });
});

test('link reflector: an interface going down and up produces link events (and address events)', async (t) => {
  await withLab({ hosts: 1, signal: t.signal, timeoutMs: 30_000 }, async (lab) => {
    const h1 = lab.hosts[0]!;
    await h1.addVethSpare('sp0');
    const w = await spawnIo(h1, { op: 'watch-links' });
    try {
      await h1.setLink('sp0', false);
      const down = await w.waitFor((l) => l.link?.ifname === 'sp0' && l.link.up === false);
      assert.equal(down.link!.type, 'new');
      assert.equal(down.link!.running, false);
      assert.equal(typeof down.link!.ifindex, 'number');
      await h1.setLink('sp0', true);
      const up = await w.waitFor((l) => l.link?.ifname === 'sp0' && l.link.up === true && l.link.running === true);
      assert.equal(up.link!.ifindex, down.link!.ifindex);

      await h1.exec(['ip', 'addr', 'add', '198.51.100.1/24', 'dev', 'sp0'], { check: true });
      const added = await w.waitFor((l) => l.address?.address === '198.51.100.1');
      assert.deepEqual([added.address!.type, added.address!.ifname, added.address!.prefixLen], ['new', 'sp0', 24]);
      await h1.exec(['ip', 'addr', 'del', '198.51.100.1/24', 'dev', 'sp0'], { check: true });
      await w.waitFor((l) => l.address?.address === '198.51.100.1' && l.address.type === 'del');

      await h1.exec(['ip', 'link', 'del', 'sp0'], { check: true });
      await w.waitFor((l) => l.link?.ifname === 'sp0' && l.link.type === 'del');
    } finally {
      await w.stop();
    }
  });
});

test('use_vmac: a macvlan with MAC 00:00:5e:00:01:VRID is created on the interface and deleted again', async (t) => {
  await withLab({ hosts: 1, signal: t.signal, timeoutMs: 30_000 }, async (lab) => {
    const h1 = lab.hosts[0]!;
    for (const [name, mode, mac] of [
      ['vrrp.51', 'private', '00:00:5e:00:01:33'],
      ['vrrp6.51', 'bridge', '00:00:5e:00:02:33'],
    ] as const) {
      const r = await runIo(h1, { op: 'macvlan-add', parent: 'eth0', name, mac, mode });
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(r.link!.mac, mac);
      const shown = JSON.parse((await h1.exec(['ip', '-j', '-d', 'link', 'show', name], { check: true })).stdout) as Array<{
        address: string;
        link: string;
        linkinfo: { info_kind: string; info_data: { mode: string } };
      }>;
      assert.equal(shown[0]!.address, mac);
      assert.equal(shown[0]!.link, 'eth0');
      assert.equal(shown[0]!.linkinfo.info_kind, 'macvlan');
      assert.equal(shown[0]!.linkinfo.info_data.mode, mode);
      assert.deepEqual(await runIo(h1, { op: 'link-del', name }), { ok: true });
      const after = await h1.exec(['ip', 'link', 'show', name]);
      assert.notEqual(after.code, 0, `${name} is gone`);
    }
  });
});
