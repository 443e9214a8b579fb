import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConfig, type KeepalivedConfig } from '../../src/config';
import {
  NftFirewall, blocksVips, cleanupText, elementsText, familyTableText, linkLocalSetText, nftSettings, nftVips, purgeText,
  DEFAULT_NFT_PRIORITY, type NftResult, type NftSettings, type NftVip,
} from '../../src/io/nftables';
import type { Logger } from '../../src/util/log';

function parse(global: string[], instance: string[], vips = ['192.0.2.100/24']): KeepalivedConfig {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-nft-'));
  const f = path.join(dir, 'k.conf');
  fs.writeFileSync(f, [
    'global_defs {', ...global, '}',
    'vrrp_instance VI_1 {', ' interface eth0', ' virtual_router_id 51', ...instance, ' virtual_ipaddress {', ...vips.map((v) => `  ${v}`), ' }', '}', '',
  ].join('\n'));
  try {
    return parseConfig(f, { configId: 'main', checkScripts: false }).config;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const blocks = (global: string[], instance: string[], vips?: string[]): boolean => blocksVips(parse(global, instance, vips).vrrpInstances[0]!);

const DEF: NftSettings = { table: 'keepalived', priority: -1, counters: false, ifindex: false };

test('accept is the default without vrrp_strict: no VIP is blocked', () => {
  assert.equal(blocks([], ['priority 100']), false);
  assert.equal(blocks([], ['priority 100', 'accept']), false);
});

test('no_accept blocks the VIPs of a non-owner MASTER, also without vrrp_strict', () => {
  assert.equal(blocks([], ['priority 100', 'no_accept']), true);
});

test('vrrp_strict: no_accept is the default', () => {
  assert.equal(blocks(['vrrp_strict'], ['priority 100']), true);
  assert.equal(blocks(['vrrp_strict', 'vrrp_version 3'], ['priority 100']), true);
});

test('vrrp_strict + accept: VRRPv2 resets it (RFC 3768 has no accept mode), VRRPv3 keeps it', () => {
  const v2 = parse(['vrrp_strict'], ['priority 100', 'accept']).vrrpInstances[0]!;
  assert.equal(v2.accept, false);
  assert.equal(blocksVips(v2), true);
  assert.equal(blocks(['vrrp_strict', 'vrrp_version 3'], ['priority 100', 'accept']), false);
});

test('the address owner (priority 255) never blocks its VIPs', () => {
  assert.equal(blocks(['vrrp_strict'], ['priority 255']), false);
  assert.equal(blocks([], ['priority 255', 'no_accept']), false);
});

test('global_defs nftables / nftables_priority / nftables_counters / nftables_ifindex', () => {
  assert.deepEqual(nftSettings(parse([], []).globalDefs), DEF);
  assert.equal(DEFAULT_NFT_PRIORITY, -1);
  assert.deepEqual(nftSettings(parse(['nftables kadrop', 'nftables_priority -50', 'nftables_counters', 'nftables_ifindex'], []).globalDefs), {
    table: 'kadrop', priority: -50, counters: true, ifindex: true,
  });
  assert.equal(nftSettings(parse(['nftables'], []).globalDefs).table, 'keepalived');
});

test('IPv4 table as keepalived 2.2.7 creates it: out/input chains at priority -1, set vips, drop rules', () => {
  assert.equal(familyTableText(4, DEF), [
    'add table ip keepalived',
    'add chain ip keepalived out { type filter hook output priority -1; policy accept; }',
    'add chain ip keepalived in { type filter hook input priority -1; policy accept; }',
    'add set ip keepalived vips { type ipv4_addr; }',
    'add rule ip keepalived in ip daddr @vips drop',
    'add rule ip keepalived out ip saddr @vips drop',
    '',
  ].join('\n'));
});

test('IPv6 table keeps neighbour discovery and sends link-local addresses to their own chains', () => {
  assert.equal(familyTableText(6, { ...DEF, counters: true, priority: -50, table: 'kadrop' }), [
    'add table ip6 kadrop',
    'add chain ip6 kadrop out { type filter hook output priority -50; policy accept; }',
    'add chain ip6 kadrop in { type filter hook input priority -50; policy accept; }',
    'add chain ip6 kadrop in_link_local',
    'add chain ip6 kadrop out_link_local',
    'add set ip6 kadrop vips { type ipv6_addr; }',
    'add set ip6 kadrop neighbor-discovery { type icmpv6_type; flags constant; elements = { nd-neighbor-solicit, nd-neighbor-advert }; }',
    'add rule ip6 kadrop in icmpv6 type @neighbor-discovery counter accept',
    'add rule ip6 kadrop in ip6 daddr fe80::/10 counter goto in_link_local',
    'add rule ip6 kadrop out icmpv6 type @neighbor-discovery counter accept',
    'add rule ip6 kadrop out ip6 saddr fe80::/10 counter goto out_link_local',
    'add rule ip6 kadrop in ip6 daddr @vips counter drop',
    'add rule ip6 kadrop out ip6 saddr @vips counter drop',
    '',
  ].join('\n'));
  assert.equal(linkLocalSetText('vips_link_local', DEF), [
    'add set ip6 keepalived vips_link_local { type ipv6_addr . iface_index; }',
    'add rule ip6 keepalived in_link_local ip6 daddr . iif @vips_link_local drop',
    'add rule ip6 keepalived out_link_local ip6 saddr . oif @vips_link_local drop',
    '',
  ].join('\n'));
});

test('elements: one add/delete line per set; link-local IPv6 VIPs carry their interface', () => {
  const vips: NftVip[] = [
    { address: '192.0.2.100', family: 4, ifname: 'eth0' },
    { address: '2001:db8::100', family: 6, ifname: 'eth0' },
    { address: '192.0.2.101', family: 4, ifname: 'eth0' },
    { address: 'fe80::100', family: 6, ifname: 'eth0' },
  ];
  assert.equal(elementsText('add', vips, DEF), [
    'add element ip keepalived vips { 192.0.2.100, 192.0.2.101 }',
    'add element ip6 keepalived vips { 2001:db8::100 }',
    'add element ip6 keepalived vips_link_local { fe80::100 . "eth0" }',
    '',
  ].join('\n'));
  assert.equal(elementsText('delete', vips.slice(3), DEF, true), 'delete element ip6 keepalived vips_link_local_name { fe80::100 . "eth0" }\n');
  assert.equal(elementsText('delete', vips.slice(3), { ...DEF, ifindex: true }, true), 'delete element ip6 keepalived vips_link_local { fe80::100 . "eth0" }\n');
});

test('purge (old table from a killed run) and cleanup (stop) texts', () => {
  assert.equal(purgeText(DEF), 'add table ip keepalived\ndelete table ip keepalived\nadd table ip6 keepalived\ndelete table ip6 keepalived\n');
  assert.equal(cleanupText(DEF, [6, 4]), 'delete table ip keepalived\ndelete table ip6 keepalived\n');
});

test('nftVips: virtual_ipaddress and _excluded, on their dev or the instance interface', () => {
  const vi = parse([], ['priority 100', ' virtual_ipaddress_excluded {', '  2001:db8::5/64 dev eth1', ' }'], ['192.0.2.100/24']).vrrpInstances[0]!;
  assert.deepEqual(nftVips({ vips: vi.virtualIpaddress, excluded: vi.virtualIpaddressExcluded, vipIfname: 'eth0' }), [
    { address: '192.0.2.100', family: 4, ifname: 'eth0' },
    { address: '2001:db8::5', family: 6, ifname: 'eth1' },
  ]);
});

function fakeLog(): { log: Logger; lines: { code?: string; msg: string }[] } {
  const lines: { code?: string; msg: string }[] = [];
  const rec = (o: unknown, msg?: string): void => {
    lines.push({ code: (o as { code?: string }).code, msg: msg ?? String(o) });
  };
  return { log: { error: rec, warn: rec, info: rec, debug: rec } as unknown as Logger, lines };
}

test('NftFirewall: the table is made on the first block, shared VIPs stay until the last holder leaves, stop deletes it', async () => {
  const scripts: string[] = [];
  const run = async (s: string): Promise<NftResult> => {
    scripts.push(s);
    return { ok: true };
  };
  const { log, lines } = fakeLog();
  const fw = new NftFirewall(DEF, log, run);
  const a: NftVip[] = [{ address: '192.0.2.100', family: 4, ifname: 'eth0' }];
  const b: NftVip[] = [{ address: '192.0.2.100', family: 4, ifname: 'eth0' }, { address: '192.0.2.101', family: 4, ifname: 'eth0' }];
  await fw.unblock('VI_1', a); // BACKUP at start: nothing to remove, no table made
  assert.equal(scripts.length, 0);
  await fw.block('VI_1', a);
  assert.equal(scripts[0], purgeText(DEF) + familyTableText(4, DEF) + 'add element ip keepalived vips { 192.0.2.100 }\n');
  await fw.block('VI_1', a); // already held: no nft run
  await fw.block('VI_2', b);
  assert.equal(scripts[1], 'add element ip keepalived vips { 192.0.2.101 }\n');
  await fw.unblock('VI_1', a); // VI_2 still holds .100
  assert.equal(scripts.length, 2);
  await fw.unblock('VI_2', b);
  assert.equal(scripts[2], 'delete element ip keepalived vips { 192.0.2.100, 192.0.2.101 }\n');
  await fw.cleanup();
  assert.equal(scripts[3], 'delete table ip keepalived\n');
  await fw.cleanup(); // nothing left
  assert.equal(scripts.length, 4);
  assert.deepEqual(lines, []);
});

test('NftFirewall: nft missing is logged once as E_NFT_MISSING and blocking is then off; other failures are E_NFT_FAILED', async () => {
  let runs = 0;
  const { log, lines } = fakeLog();
  const fw = new NftFirewall(DEF, log, async () => {
    runs++;
    return { ok: false, missing: true, message: 'nft not found' };
  });
  const v: NftVip[] = [{ address: '192.0.2.100', family: 4, ifname: 'eth0' }];
  await fw.block('VI_1', v);
  await fw.block('VI_2', v);
  await fw.unblock('VI_1', v);
  await fw.cleanup();
  assert.equal(runs, 1);
  assert.equal(fw.disabled, true);
  assert.deepEqual(lines.map((l) => l.code), ['E_NFT_MISSING']);

  const f2 = fakeLog();
  const fw2 = new NftFirewall(DEF, f2.log, async () => ({ ok: false, missing: false, message: 'Error: Could not process rule' }));
  await fw2.block('VI_1', v);
  assert.deepEqual(f2.lines.map((l) => l.code), ['E_NFT_FAILED']);
  assert.equal(fw2.disabled, false);
});
