/** lvs_sync_daemon and lvs_timeouts from global_defs (keepalived.conf(5)), and the sync daemon's role changes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config';
import { syncDaemonSpec, syncdBecome, syncdShutdown, desiredTimeouts } from '../../src/daemon/lvs';
import { timeoutsToSet } from '../../src/daemon/lvs/syncd';

const conf = (globals: string) => parseConfig('/tmp/syncd.conf', {
  text: `global_defs {\n${globals}\n}\nvrrp_instance VI_1 {\n interface lo\n virtual_router_id 51\n priority 100\n virtual_ipaddress {\n 192.0.2.1\n }\n}`,
}).config;

test('lvs_sync_daemon: interface, instance, sync id defaulting to the instance virtual_router_id, maxlen/port/ttl/group', () => {
  assert.deepEqual(syncDaemonSpec(conf(' lvs_sync_daemon lo VI_1')), { instance: 'VI_1', daemon: { mcastIfn: 'lo', syncId: 51 } });
  assert.deepEqual(syncDaemonSpec(conf(' lvs_sync_daemon lo VI_1 id 7 maxlen 1400 port 8850 ttl 2 group 239.1.1.1')), {
    instance: 'VI_1', daemon: { mcastIfn: 'lo', syncId: 7, syncMaxlen: 1400, mcastPort: 8850, mcastTtl: 2, mcastGroup: '239.1.1.1' },
  });
  assert.equal(syncDaemonSpec(conf(' router_id x')), undefined);
});

test('the sync daemon is master while the instance is MASTER, backup otherwise; the other role is stopped first', () => {
  assert.deepEqual(syncdBecome('master'), [{ op: 'stop', state: 'backup' }, { op: 'start', state: 'master' }]);
  assert.deepEqual(syncdBecome('backup'), [{ op: 'stop', state: 'master' }, { op: 'start', state: 'backup' }]);
  assert.deepEqual(syncdShutdown('master'), [{ op: 'stop', state: 'master' }]);
});

test('lvs_timeouts: unset ones are 0 (left as they are); none configured, nothing to set', () => {
  assert.deepEqual(desiredTimeouts(conf(' lvs_timeouts tcp 7200 udp 30')), { tcp: 7200, tcpFin: 0, udp: 30 });
  assert.equal(desiredTimeouts(conf(' router_id x')), undefined);
});

test('lvs_timeouts as keepalived sets them: unset ones keep the values found before the first change; a reload without lvs_timeouts sends those back', () => {
  const found = { tcp: 900, tcpFin: 120, udp: 300 };
  assert.deepEqual(timeoutsToSet(conf(' lvs_timeouts tcp 7200 udp 30'), found), { tcp: 7200, tcpFin: 120, udp: 30 });
  assert.deepEqual(timeoutsToSet(conf(' lvs_timeouts tcpfin 60'), found), { tcp: 900, tcpFin: 60, udp: 300 });
  assert.deepEqual(timeoutsToSet(conf(' router_id x'), found), found);
  assert.equal(timeoutsToSet(conf(' router_id x'), undefined), undefined);
});
