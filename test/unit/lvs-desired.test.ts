/**
 * The desired IPVS table from keepalived.conf(5) virtual_server / virtual_server_group /
 * real_server blocks and the real servers' health, with keepalived 2.2.7's rules (see
 * src/daemon/lvs/desired.ts). Configurations are inline or from test/fixtures/config.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { parseConfig } from '../../src/config';
import type { KeepalivedConfig } from '../../src/config/model';
import { desiredTable, initialHealth, rsId, vsId, lvsFlushSettings, type RsHealth, type DesiredEntry } from '../../src/daemon/lvs';
import { SvcFlag } from '../../src/protocol/ipvs';

function conf(text: string): KeepalivedConfig {
  const r = parseConfig('/tmp/lvs-desired.conf', { text });
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors, []);
  return r.config;
}
/** health map from "rsId-suffix" → up, for the (single) virtual server of a config */
function health(c: KeepalivedConfig, down: string[], weights: Record<string, number> = {}): Map<string, RsHealth> {
  const m = new Map<string, RsHealth>();
  for (const vs of c.virtualServers) for (const rs of vs.realServers) {
    const id = rsId(vs, rs);
    const short = `${rs.address}${rs.port !== undefined ? `:${rs.port}` : ''}`;
    m.set(id, { up: !down.includes(short), ...(weights[short] !== undefined ? { weight: weights[short] } : {}) });
  }
  return m;
}
/** "addr:port fwd weight" per destination, sorted */
const dests = (e: DesiredEntry | undefined) => (e?.dests ?? []).map((d) => `${d.address}:${d.port} ${d.fwd} ${d.weight}`).sort();

test('NAT: a real server without a port takes the virtual server port; weights and thresholds are kept', () => {
  const c = conf(`virtual_server 192.0.2.10 80 {
    lb_algo wlc
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.1 8080 { weight 3
      uthreshold 100
      lthreshold 10 }
    real_server 198.51.100.2 { weight 1 }
  }`);
  const t = desiredTable(c, health(c, []));
  assert.equal(t.entries.length, 1);
  assert.deepEqual(t.entries[0]!.service, { family: 4, protocol: 'TCP', address: '192.0.2.10', port: 80, scheduler: 'wlc', flags: 0, timeout: 0, netmask: 0xffffffff });
  assert.deepEqual(dests(t.entries[0]), ['198.51.100.1:8080 masq 3', '198.51.100.2:80 masq 1']);
  assert.deepEqual([t.entries[0]!.dests[0]!.uThreshold, t.entries[0]!.dests[0]!.lThreshold], [100, 10]);
});

test('DR and TUN: destinations take the virtual server port; a tunnelled destination is IPIP', () => {
  const c = conf(`virtual_server 192.0.2.10 443 {
    lb_algo rr
    lb_kind DR
    real_server 198.51.100.1 8443 { weight 1 }
    real_server 198.51.100.2 { weight 2
      lvs_method TUN }
  }`);
  const e = desiredTable(c, health(c, [])).entries[0]!;
  assert.deepEqual(dests(e), ['198.51.100.1:443 route 1', '198.51.100.2:443 tunnel 2']);
  assert.equal(e.dests.find((d) => d.fwd === 'tunnel')!.tunType, 'ipip');
});

test('fwmark: port 0 for DR destinations, the family from the real servers (IPv6)', () => {
  const c = conf(`virtual_server fwmark 8 {
    lb_algo lc
    lb_kind DR
    real_server 2001:db8::1 80 { weight 1 }
    real_server 2001:db8::2 { weight 1 }
  }`);
  const e = desiredTable(c, health(c, [])).entries[0]!;
  assert.deepEqual(e.service, { family: 6, fwmark: 8, scheduler: 'lc', flags: 0, timeout: 0, netmask: 128 });
  assert.deepEqual(dests(e), ['2001:db8::1:0 route 1', '2001:db8::2:0 route 1']);
});

test('persistence_timeout and persistence_granularity (IPv4 mask, IPv6 prefix length), SCTP', () => {
  const c = conf(`virtual_server 192.0.2.10 80 {
    lb_algo wrr
    persistence_timeout 300
    persistence_granularity 255.255.255.0
    real_server 198.51.100.1 80 { weight 1 }
  }
  virtual_server 2001:db8::10 3868 {
    protocol SCTP
    lb_algo rr
    persistence_timeout
    persistence_granularity 64
    real_server 2001:db8::1 3868 { weight 1 }
  }
  virtual_server 192.0.2.11 80 {
    persistence_granularity 255.255.0.0
    real_server 198.51.100.1 80 { weight 1 }
  }`);
  const [a, b, d] = desiredTable(c, health(c, [])).entries;
  assert.deepEqual([a!.service.flags, a!.service.timeout, a!.service.netmask], [SvcFlag.PERSISTENT, 300, 0xffffff00]);
  assert.deepEqual(b!.service, { family: 6, protocol: 'SCTP', address: '2001:db8::10', port: 3868, scheduler: 'rr', flags: SvcFlag.PERSISTENT, timeout: 360, netmask: 64 });
  // granularity without persistence is not sent (keepalived applies it only with a timeout)
  assert.deepEqual([d!.service.flags, d!.service.timeout, d!.service.netmask], [0, 0, 0xffffffff]);
});

test('scheduler flags: ops, sh-port/sh-fallback only for sh, mh-fallback for mh, flag-3', () => {
  const c = conf(`virtual_server 192.0.2.10 53 {
    protocol UDP
    lb_algo sh
    sh-port
    sh-fallback
    ops
    real_server 198.51.100.1 53 { weight 1 }
  }
  virtual_server 192.0.2.11 80 {
    lb_algo mh
    mh-fallback
    flag-3
    real_server 198.51.100.1 80 { weight 1 }
  }`);
  const [a, b] = desiredTable(c, health(c, [])).entries;
  assert.equal(a!.service.flags, SvcFlag.ONEPACKET | SvcFlag.SCHED1 | SvcFlag.SCHED2);
  assert.equal(b!.service.flags, SvcFlag.SCHED1 | SvcFlag.SCHED3);
});

test('virtual_server_group (keepalived.conf(5) fixture): one service per address of each range and per fwmark', () => {
  const r = parseConfig(path.join(__dirname, '../../../test/fixtures/config/manpage/lvs.conf'));
  const t = desiredTable(r.config, initialHealth(r.config));
  const names = t.entries.map((e) => ('fwmark' in e.service ? `FWM ${e.service.fwmark}` : `${e.service.address}:${e.service.port}`));
  assert.deepEqual(names, ['192.0.2.10:80', ...Array.from({ length: 11 }, (_, i) => `192.0.2.${20 + i}:80`), 'FWM 7']);
  assert.ok(t.entries.every((e) => e.vs === 'group VSG_1 TCP'));
  assert.deepEqual(dests(t.entries[0]), ['198.51.100.1:80 route 2', '198.51.100.2:80 route 1']);
  assert.deepEqual(dests(t.entries[12]), ['198.51.100.1:0 route 2', '198.51.100.2:0 route 1']);
});

const QUORUM = `virtual_server 192.0.2.10 80 {
    lb_algo rr
    quorum 3
    hysteresis 1
    sorry_server 198.51.100.9 8080
    real_server 198.51.100.1 80 { weight 1 }
    real_server 198.51.100.2 80 { weight 1 }
    real_server 198.51.100.3 80 { weight 1
      inhibit_on_failure }
    real_server 198.51.100.4 80 { weight 1 }
  }`;

test('a failed real server is removed; with inhibit_on_failure it stays at weight 0', () => {
  const c = conf(QUORUM);
  const quorumWasUp = new Map([[vsId(c.virtualServers[0]!), true]]);
  const t = desiredTable(c, health(c, ['198.51.100.1:80', '198.51.100.3:80']), quorumWasUp);
  assert.deepEqual(dests(t.entries[0]), ['198.51.100.2:80 masq 1', '198.51.100.3:80 masq 0', '198.51.100.4:80 masq 1']);
});

test('quorum with hysteresis: lost below quorum − hysteresis, regained at quorum + hysteresis; the sorry server replaces the pool', () => {
  const c = conf(QUORUM);
  const id = vsId(c.virtualServers[0]!);
  let q: Map<string, boolean> | undefined;
  const step = (down: string[]) => {
    const t = desiredTable(c, health(c, down), q);
    q = t.quorumUp;
    return { up: t.quorumUp.get(id), dests: dests(t.entries[0]) };
  };
  assert.deepEqual(step([]), { up: true, dests: ['198.51.100.1:80 masq 1', '198.51.100.2:80 masq 1', '198.51.100.3:80 masq 1', '198.51.100.4:80 masq 1'] });
  assert.equal(step(['198.51.100.1:80', '198.51.100.2:80']).up, true, '2 live ≥ 3 − 1');
  // 1 live < 2: quorum lost, live servers leave the pool (the inhibited one stays at weight 0), sorry server in with weight 1
  assert.deepEqual(step(['198.51.100.1:80', '198.51.100.2:80', '198.51.100.4:80']), { up: false, dests: ['198.51.100.3:80 masq 0', '198.51.100.9:8080 masq 1'] });
  assert.equal(step(['198.51.100.1:80']).up, false, '3 live < 3 + 1');
  assert.deepEqual(step([]), { up: true, dests: ['198.51.100.1:80 masq 1', '198.51.100.2:80 masq 1', '198.51.100.3:80 masq 1', '198.51.100.4:80 masq 1'] });
});

test('at start the quorum is up only with quorum + hysteresis of live weight (keepalived set_quorum_states)', () => {
  const c = conf(QUORUM);
  const t = desiredTable(c, health(c, ['198.51.100.1:80']));
  assert.equal(t.quorumUp.get(vsId(c.virtualServers[0]!)), false);
  assert.deepEqual(dests(t.entries[0]), ['198.51.100.3:80 masq 0', '198.51.100.9:8080 masq 1']);
});

test('sorry_server_inhibit keeps the sorry server at weight 0 while the quorum is up; DR sorry server takes the service port', () => {
  const c = conf(`virtual_server 192.0.2.10 80 {
    lb_kind DR
    sorry_server 198.51.100.9 8080
    sorry_server_inhibit
    real_server 198.51.100.1 80 { weight 2 }
  }`);
  assert.deepEqual(dests(desiredTable(c, health(c, [])).entries[0]), ['198.51.100.1:80 route 2', '198.51.100.9:80 route 0']);
  assert.deepEqual(dests(desiredTable(c, health(c, ['198.51.100.1:80'])).entries[0]), ['198.51.100.9:80 route 1']);
});

test('quorum above the total weight is reduced to it; a dynamic weight (misc_dynamic) counts for quorum', () => {
  const c = conf(`virtual_server 192.0.2.10 80 {
    quorum 10
    sorry_server 198.51.100.9 80
    real_server 198.51.100.1 80 { weight 2 }
    real_server 198.51.100.2 80 { weight 2 }
  }`);
  assert.deepEqual(dests(desiredTable(c, health(c, [])).entries[0]), ['198.51.100.1:80 masq 2', '198.51.100.2:80 masq 2']);
  assert.deepEqual(dests(desiredTable(c, health(c, [], { '198.51.100.1:80': 1 })).entries[0]), ['198.51.100.9:80 masq 1']);
});

test('alpha: real servers with checkers start down, those without checkers up; a virtual server without real servers is ignored', () => {
  const c = conf(`virtual_server 192.0.2.10 80 {
    alpha
    real_server 198.51.100.1 80 {
      weight 1
      TCP_CHECK { connect_timeout 1 }
    }
    real_server 198.51.100.2 80 { weight 1 }
    real_server 198.51.100.3 80 {
      inhibit_on_failure
      TCP_CHECK { connect_timeout 1 }
    }
  }
  virtual_server 192.0.2.11 80 {
    lb_algo rr
  }`);
  const t = desiredTable(c, initialHealth(c));
  assert.equal(t.entries.length, 1);
  assert.deepEqual(dests(t.entries[0]), ['198.51.100.2:80 masq 1', '198.51.100.3:80 masq 0']);
  const noAlpha = conf(`virtual_server 192.0.2.10 80 {
    real_server 198.51.100.1 80 { TCP_CHECK { connect_timeout 1 } }
  }`);
  assert.deepEqual(dests(desiredTable(noAlpha, initialHealth(noAlpha)).entries[0]), ['198.51.100.1:80 masq 1']);
});

test('lvs_flush and lvs_flush_on_stop [VS] from global_defs', () => {
  assert.deepEqual(lvsFlushSettings(conf('global_defs {\n lvs_flush\n lvs_flush_on_stop VS\n}')), { flushAtStart: true, flushOnStop: 'vs' });
  assert.deepEqual(lvsFlushSettings(conf('global_defs {\n lvs_flush_on_stop\n}')), { flushAtStart: false, flushOnStop: 'full' });
  assert.deepEqual(lvsFlushSettings(conf('global_defs {\n router_id x\n}')), { flushAtStart: false, flushOnStop: 'none' });
});

test('a virtual server without `protocol` is UDP, as keepalived 2.2.7 sets it (the kernel reads protocol 0 as UDP)', () => {
  const r = parseConfig('/tmp/p.conf', { text: 'virtual_server 192.0.2.10 53 {\n real_server 198.51.100.1 53 {\n }\n}\nvirtual_server fwmark 3 {\n real_server 198.51.100.1 {\n }\n}' });
  // keepalived's other corrections (default scheduler, ...) are said too; the protocol one is this test's
  assert.deepEqual(r.diagnostics.filter((d) => /protocol/.test(d.message)).map((d) => [d.severity, d.message]), [['warning', 'Virtual server 192.0.2.10 53: no protocol set - defaulting to UDP']]);
  const [a, b] = desiredTable(r.config, initialHealth(r.config)).entries;
  assert.equal('protocol' in a!.service && a!.service.protocol, 'UDP');
  assert.ok('fwmark' in b!.service);
});

test('a NAT sorry server without a port is sent with port 0 (keepalived fills in the port only for DR/TUN and real servers)', () => {
  const c = conf('virtual_server 192.0.2.10 80 {\n protocol TCP\n sorry_server 198.51.100.9\n real_server 198.51.100.1 {\n }\n}');
  assert.deepEqual(dests(desiredTable(c, health(c, [])).entries[0]), ['198.51.100.1:80 masq 1']);
  assert.deepEqual(dests(desiredTable(c, health(c, ['198.51.100.1'])).entries[0]), ['198.51.100.9:0 masq 1']);
});

test('keepalived validation: ops only for UDP (or fwmark); an address service on port 0 gets persistence 360', () => {
  const c = conf('virtual_server 192.0.2.10 80 {\n protocol TCP\n ops\n real_server 198.51.100.1 80 {\n }\n}\n' +
    'virtual_server fwmark 5 {\n ops\n real_server 198.51.100.1 80 {\n }\n}\n' +
    'virtual_server 192.0.2.11 0 {\n protocol TCP\n real_server 198.51.100.1 0 {\n }\n}');
  const [tcp, fwm, zero] = desiredTable(c, health(c, [])).entries;
  assert.equal(tcp!.service.flags, 0);
  assert.equal(fwm!.service.flags, SvcFlag.ONEPACKET);
  assert.deepEqual([zero!.service.flags, zero!.service.timeout], [SvcFlag.PERSISTENT, 360]);
});

test('a repeated real server is dropped (the first one counts); a group address on port 0 makes the service persistent', () => {
  const c = conf('virtual_server 192.0.2.10 80 {\n protocol TCP\n real_server 198.51.100.1 80 {\n weight 2\n }\n real_server 198.51.100.1 80 {\n weight 5\n }\n}\n' +
    'virtual_server_group Z {\n 192.0.2.30 0\n}\nvirtual_server group Z {\n protocol TCP\n lb_kind DR\n real_server 198.51.100.1 {\n }\n}');
  const [a, z] = desiredTable(c, health(c, [])).entries;
  assert.deepEqual(dests(a), ['198.51.100.1:80 masq 2']);
  assert.deepEqual([z!.service.flags, z!.service.timeout], [SvcFlag.PERSISTENT, 360]);
});

test('lvs_method TUN type gue port N csum / type gre on a real server: the tunnel attributes keepalived sends', () => {
  const c = conf('virtual_server 192.0.2.10 80 {\n protocol TCP\n lb_kind DR\n' +
    ' real_server 198.51.100.1 80 {\n lvs_method TUN type gue port 6080 csum\n }\n' +
    ' real_server 198.51.100.2 80 {\n lvs_method TUN type gre\n }\n real_server 198.51.100.3 80 {\n lvs_method TUN\n }\n}');
  const tun = desiredTable(c, health(c, [])).entries[0]!.dests.map((d) => [d.fwd, d.tunType, d.tunPort, d.tunFlags]);
  assert.deepEqual(tun, [['tunnel', 'gue', 6080, 1], ['tunnel', 'gre', undefined, 0], ['tunnel', 'ipip', undefined, undefined]]);
});
