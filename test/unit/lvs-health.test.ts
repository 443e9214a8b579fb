/**
 * Checker verdicts → a real server's health and the events keepalived reports (src/daemon/lvs/health.ts),
 * plus ha_suspend and smtp_alert inheritance (policy.ts). Pure: no kernel, no actors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config';
import type { KeepalivedConfig } from '../../src/config/model';
import { planAll, applyResult, healthOf, healthMap, carryOver, diffEvents, desiredTable, haSuspended, vsSmtp, rsSmtp } from '../../src/daemon/lvs';

function conf(text: string): KeepalivedConfig {
  const r = parseConfig('/tmp/lvs-health.conf', { text, checkScripts: false });
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
  return r.config;
}

const TWO_CHECKS = `virtual_server 192.0.2.1 80 {
  protocol TCP
  quorum 3
  hysteresis 1
  real_server 198.51.100.1 80 {
    weight 2
    TCP_CHECK {
    }
    MISC_CHECK {
      misc_path /bin/true
      misc_dynamic
    }
  }
  real_server 198.51.100.2 80 {
    weight 2
    alpha
    TCP_CHECK {
    }
  }
}`;

test('several checkers of one real server: alive only while none has failed; dynamic shares add to the weight', () => {
  const p = planAll(conf(TWO_CHECKS));
  assert.equal(p.checkers.length, 3);
  const [tcp, misc] = p.checkers;
  const t = p.servers.get(tcp!.rs)!;
  assert.deepEqual(healthOf(t), { up: true });
  assert.equal(applyResult(t, tcp!.plan.id, false, undefined), true);
  assert.deepEqual(healthOf(t), { up: false });
  assert.equal(applyResult(t, misc!.plan.id, true, 3), true, 'a weight share changes the health');
  assert.deepEqual(healthOf(t), { up: false, weight: 5 });
  assert.equal(applyResult(t, tcp!.plan.id, true, undefined), true);
  assert.deepEqual(healthOf(t), { up: true, weight: 5 });
  assert.equal(applyResult(t, tcp!.plan.id, true, undefined), false, 'the same verdict again is no change');
});

test('alpha: a real server whose checker has alpha starts down until its first success', () => {
  const p = planAll(conf(TWO_CHECKS));
  const alpha = p.checkers[2]!;
  assert.deepEqual(healthOf(p.servers.get(alpha.rs)!), { up: false });
  applyResult(p.servers.get(alpha.rs)!, alpha.plan.id, true, undefined);
  assert.deepEqual(healthOf(p.servers.get(alpha.rs)!), { up: true });
});

test('a reload carries the verdicts of unchanged checkers, not of changed ones', () => {
  const cfg = conf(TWO_CHECKS);
  const prev = planAll(cfg);
  const [tcp, misc] = prev.checkers;
  applyResult(prev.servers.get(tcp!.rs)!, tcp!.plan.id, false, undefined);
  applyResult(prev.servers.get(tcp!.rs)!, misc!.plan.id, true, 1);
  const next = planAll(cfg);
  carryOver(prev.servers, next.servers, new Set([tcp!.plan.id]));
  assert.deepEqual(healthOf(next.servers.get(tcp!.rs)!), { up: false }, 'the kept TCP verdict stays, the restarted MISC share does not');
});

test('events: RS up/down on a change of aliveness; quorum lost and gained with hysteresis, keepalived\'s texts', () => {
  const cfg = conf(TWO_CHECKS);
  const p = planAll(cfg);
  const [tcp, , alpha] = p.checkers;
  const step = (prevQ?: Map<string, boolean>, prevUp = new Map<string, boolean>()) => {
    const h = healthMap(p.servers);
    const t = desiredTable(cfg, h, prevQ);
    const up = new Map([...h].map(([k, v]) => [k, v.up]));
    return { ev: diffEvents(cfg, p.servers, prevUp, up, prevQ, t.quorumUp), q: t.quorumUp, up };
  };
  // start: live 2 (alpha server down) < quorum 3 + hysteresis 1: starts down; no sorry server → no event
  const s0 = step();
  assert.deepEqual(s0.ev, []);
  assert.equal([...s0.q.values()][0], false);
  applyResult(p.servers.get(alpha!.rs)!, alpha!.plan.id, true, undefined);
  const s1 = step(s0.q, s0.up);
  assert.deepEqual(s1.ev.map((e) => (e.kind === 'rs' ? `RS ${e.up}` : `VS ${e.up} ${e.text}`)), ['RS true', 'VS true Gained quorum 3+1=4 <= 4']);
  applyResult(p.servers.get(tcp!.rs)!, tcp!.plan.id, false, undefined);
  const s2 = step(s1.q, s1.up);
  // live 2 is not below quorum − hysteresis = 2: the quorum holds (hysteresis)
  assert.deepEqual(s2.ev.map((e) => (e.kind === 'rs' ? `RS ${e.up}` : `VS ${e.up} ${e.text}`)), ['RS false']);
  applyResult(p.servers.get(alpha!.rs)!, alpha!.plan.id, false, undefined);
  const s3 = step(s2.q, s2.up);
  assert.deepEqual(s3.ev.map((e) => (e.kind === 'rs' ? `RS ${e.up}` : `VS ${e.up} ${e.text}`)), ['RS false', 'VS false Lost quorum 3-1=2 > 0']);
});

test('ha_suspend: the virtual server is out while the instance holding its VIP is not MASTER', () => {
  const cfg = conf(`virtual_server 192.0.2.1 80 {\n  protocol TCP\n  ha_suspend\n  real_server 198.51.100.1 80 {\n  }\n}\nvirtual_server 192.0.2.2 80 {\n  protocol TCP\n  real_server 198.51.100.1 80 {\n  }\n}`);
  const inst = (state: string) => new Map([['VI_1', { state: { state } as never, r: { vips: [{ address: '192.0.2.1' }, { address: '192.0.2.2' }] } as never }]]);
  assert.deepEqual([...haSuspended(cfg, inst('BACKUP'))], ['TCP 192.0.2.1:80']);
  assert.deepEqual([...haSuspended(cfg, inst('MASTER'))], []);
});

test('smtp_alert: real server, else virtual server, else global smtp_alert_checker / smtp_alert; none with no_checker_emails', () => {
  const vsOnly = conf(`virtual_server 192.0.2.1 80 {\n  smtp_alert\n  real_server 198.51.100.1 80 {\n  }\n}`);
  assert.equal(vsSmtp(vsOnly, vsOnly.virtualServers[0]!), true);
  assert.equal(rsSmtp(vsOnly, vsOnly.virtualServers[0]!, undefined), true);
  assert.equal(rsSmtp(vsOnly, vsOnly.virtualServers[0]!, false), false);
  const global = conf(`global_defs {\n  smtp_alert_checker\n}\nvirtual_server 192.0.2.1 80 {\n  real_server 198.51.100.1 80 {\n  }\n}`);
  assert.equal(vsSmtp(global, global.virtualServers[0]!), true);
  const none = conf(`global_defs {\n  smtp_alert\n  no_checker_emails\n}\nvirtual_server 192.0.2.1 80 {\n  real_server 198.51.100.1 80 {\n  }\n}`);
  assert.equal(rsSmtp(none, none.virtualServers[0]!, true), false);
});
