/**
 * keepalived.conf(5) `ha_suspend` and `omega` through the daemon on the host (no IPVS here: the table
 * the daemon would set is in --dump-state). One node, VRRP instance VI_1 holding 192.0.2.100 (state
 * BACKUP alone: MASTER after its master-down timer, 3.6 s). Virtual server 192.0.2.100:80 has
 * ha_suspend and omega; 192.0.2.101:80 (no instance holds it) has neither.
 *   - ha_suspend: while VI_1 is BACKUP the table has only 192.0.2.101:80; once MASTER both.
 *   - omega: at SIGTERM the up real server's notify_down and the virtual server's quorum_down run for
 *     192.0.2.100:80 only (keepalived runs them only for services with omega).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { withLab, type Host } from '../helpers/lab';
import { startKeepalivedTs, vrrpConfig, type DaemonHandle } from '../helpers/keepalived';
import { dumpState, instanceOf, until } from '../helpers/bench-daemon';
import { notifyRecorder, withDaemons } from '../helpers/e2e';

interface Table { vs: string; dests: { address: string; port: number; weight: number }[] }

async function snapshot(d: DaemonHandle): Promise<{ state: string; table: Table[] }> {
  const s = await dumpState(d);
  const lvs = (s as unknown as { lvs?: { table: Table[] } }).lvs;
  return { state: instanceOf(s, 'VI_1').state, table: lvs?.table ?? [] };
}

const has = (t: Table[], ip: string): boolean => t.some((e) => e.vs.includes(`${ip}:80`) || e.vs.includes(`[${ip}]:`));

function config(rec: string): string {
  const vs = (ip: string, tag: string, extra: string[]): string => `
virtual_server ${ip} 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  quorum 1
  quorum_up "${rec} quorum_up ${tag}"
  quorum_down "${rec} quorum_down ${tag}"
${extra.map((l) => `  ${l}`).join('\n')}
  real_server 127.0.0.1 8091 {
    weight 2
    notify_up "${rec} up ${tag}"
    notify_down "${rec} down ${tag}"
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
`;
  return vrrpConfig({ state: 'BACKUP', priority: 100, vips: ['192.0.2.100/24'] }) + vs('192.0.2.100', 'A', ['ha_suspend', 'omega']) + vs('192.0.2.101', 'B', []);
}

test('ha_suspend: the service of a VIP is in the table only while its instance is MASTER; omega: notify_down and quorum_down run at SIGTERM, only for services with omega', { timeout: 60_000 }, async () => {
  const rec = notifyRecorder('kts-lvs-policy-');
  const serverJs = path.join(rec.dir, 'server.js');
  fs.writeFileSync(serverJs, "require('node:net').createServer((s) => s.end()).listen(8091, '127.0.0.1', () => console.log('LISTENING'));\n");
  try {
    await withLab({ hosts: 1, timeoutMs: 55_000 }, async (lab) => {
      const h: Host = lab.hosts[0]!;
      const server = h.spawn([process.execPath, serverJs], { label: 'rs' });
      await server.waitForOutput(/LISTENING/, 5000);
      await withDaemons(async (keep) => {
        const d = keep(startKeepalivedTs(h, config(rec.script)));
        // BACKUP (its master-down timer runs 3.6 s): the unsuspended service is set, the suspended one is not
        const backup = await until('VI_1 BACKUP with 192.0.2.101:80 in the table', async () => {
          const s = await snapshot(d);
          return s.state === 'BACKUP' && has(s.table, '192.0.2.101') ? s : null;
        }, 10_000, 100);
        assert.equal(has(backup.table, '192.0.2.100'), false, `ha_suspend service in the table while BACKUP: ${JSON.stringify(backup.table)}`);
        const master = await until('VI_1 MASTER with both services', async () => {
          const s = await snapshot(d);
          return s.state === 'MASTER' && has(s.table, '192.0.2.100') ? s : null;
        }, 10_000, 100);
        const a = master.table.find((e) => has([e], '192.0.2.100'))!;
        assert.deepEqual(a.dests.map((x) => [x.address, x.port, x.weight]), [['127.0.0.1', 8091, 2]]);
        const before = rec.lines();
        assert.ok(!before.some((l) => l.startsWith('down') || l.startsWith('quorum_down')), `down notifications before stop: ${before.join(' | ')}`);
        const exit = await d.stop();
        assert.equal(exit.code, 0);
        const after = rec.lines();
        if (!after.includes('down A')) console.error(d.logs().slice(-30).join('\n'));
        assert.ok(after.includes('down A'), `omega: notify_down of A at stop (${after.join(' | ')})`);
        assert.ok(after.includes('quorum_down A'), `omega: quorum_down of A at stop (${after.join(' | ')})`);
        assert.ok(!after.includes('down B') && !after.includes('quorum_down B'), `no omega on B, yet: ${after.join(' | ')}`);
      });
    });
  } finally {
    rec.cleanup();
  }
});
