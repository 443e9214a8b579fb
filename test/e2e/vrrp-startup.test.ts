import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withLab } from '../helpers/lab';
import { startKeepalivedTs, vrrpConfig } from '../helpers/keepalived';

test('start-up: a VIP left on the interface by an earlier run (kill -9) is removed before the instance runs, as keepalived does', { timeout: 60_000 }, async () => {
  await withLab({ hosts: 2 }, async (lab) => {
    const [h1, h2] = lab.hosts;
    const a = startKeepalivedTs(h1!, vrrpConfig({ state: 'MASTER', priority: 100, vips: ['192.0.2.100/24'] }));
    try {
      await h1!.waitForAddress('192.0.2.100', { present: true, timeoutMs: 8000 });
      // the peer carries a stale copy of the VIP, as after a kill -9 of its daemon
      await h2!.exec(['ip', 'addr', 'add', '192.0.2.100/24', 'dev', 'eth0'], { check: true });
      const b = startKeepalivedTs(h2!, vrrpConfig({ state: 'BACKUP', priority: 90, vips: ['192.0.2.100/24'] }));
      try {
        await b.waitForLog(/Entering BACKUP STATE/, 8000);
        await h2!.waitForAddress('192.0.2.100', { present: false, timeoutMs: 3000 });
        assert.ok(b.logs().some((l) => l.includes('(VI_1) removing VIPs.')), 'keepalived log line "(VI_1) removing VIPs."');
        assert.equal(await h1!.hasAddress('192.0.2.100'), true, 'the master keeps the VIP');
      } finally {
        await b.stop();
      }
    } finally {
      await a.stop();
    }
  });
});
