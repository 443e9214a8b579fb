import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withLab } from '../helpers/lab';
import { startKeepalivedTs, vrrpConfig } from '../helpers/keepalived';
import { watchAddress, adverts } from '../helpers/bench-daemon';
import { isGratuitousArp } from '../helpers/pcap';

test('SIGHUP with a VIP added and one removed: the MASTER keeps the unchanged VIP throughout, adds and announces the new one, drops the old one, sends no priority 0', { timeout: 60_000 }, async () => {
  await withLab({ hosts: 2 }, async (lab) => {
    const [h1, h2] = lab.hosts;
    const conf = (vips: string[]) => vrrpConfig({ state: 'MASTER', priority: 100, vips });
    const a = startKeepalivedTs(h1!, conf(['192.0.2.100/24', '192.0.2.101/24']));
    const b = startKeepalivedTs(h2!, vrrpConfig({ state: 'BACKUP', priority: 90, vips: ['192.0.2.100/24', '192.0.2.101/24'] }));
    try {
      await h1!.waitForAddress('192.0.2.100', { present: true, timeoutMs: 8000 });
      const cap = await lab.capture('vrrp or arp');
      const watch = watchAddress(h1!, '192.0.2.100');
      a.writeConfig(conf(['192.0.2.100/24', '192.0.2.102/24']));
      a.signal('SIGHUP');
      await h1!.waitForAddress('192.0.2.102', { present: true, timeoutMs: 5000 });
      await h1!.waitForAddress('192.0.2.101', { present: false, timeoutMs: 5000 });
      await new Promise((r) => setTimeout(r, 1500));
      const w = await watch.stop();
      const frames = await cap.stop();
      assert.equal(w.absent, 0, `192.0.2.100 was absent in ${w.absent} of ${w.samples} samples`);
      assert.equal(adverts(frames, { src: h1!.ip4 }).filter((x) => x.priority === 0).length, 0, 'no priority-0 advert');
      assert.equal(adverts(frames, { src: h2!.ip4 }).length, 0, 'the backup never advertised');
      assert.ok(frames.some((f) => isGratuitousArp(f.frame, '192.0.2.102')), 'the added VIP is announced');
      assert.equal(await h2!.hasAddress('192.0.2.102'), false);
    } catch (e) {
      console.error(a.logs().slice(-30).join('\n'));
      throw e;
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
