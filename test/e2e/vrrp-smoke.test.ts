import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withLab } from '../helpers/lab';
import { startKeepalivedTs, vrrpConfig } from '../helpers/keepalived';

test('multicast pair: MASTER (prio 100) takes the VIP, BACKUP does not; kill -9 moves it', { timeout: 60_000 }, async () => {
  await withLab({ hosts: 2 }, async (lab) => {
    const [h1, h2] = lab.hosts;
    // Both nodes start BACKUP and the one whose master-down timer runs out first becomes MASTER: the
    // priorities put the two timers only 39 ms apart, so the BACKUP starts once the MASTER's timer runs.
    const a = startKeepalivedTs(h1!, vrrpConfig({ state: 'MASTER', priority: 100, vips: ['192.0.2.100/24'] }));
    let b: ReturnType<typeof startKeepalivedTs> | undefined;
    try {
      await a.waitForLog(/\(VI_1\) Entering BACKUP STATE/, 10_000);
      b = startKeepalivedTs(h2!, vrrpConfig({ state: 'BACKUP', priority: 90, vips: ['192.0.2.100/24'] }));
      await h1!.waitForAddress('192.0.2.100', { present: true, timeoutMs: 8000 });
      assert.equal(await h2!.hasAddress('192.0.2.100'), false);
      await a.kill9();
      await h2!.waitForAddress('192.0.2.100', { present: true, timeoutMs: 8000 });
    } catch (e) {
      console.error(a.logs().slice(-40).join('\n'));
      console.error(b?.logs().slice(-40).join('\n'));
      throw e;
    } finally {
      await a.stop().catch(() => undefined);
      await b?.stop().catch(() => undefined);
    }
  });
});
