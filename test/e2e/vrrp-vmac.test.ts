/**
 * keepalived.conf(5) use_vmac: "The macvlan will be created on the configured interface for the
 * VRRP instance, and the VIPs … will be configured on the macvlan. The VRRP adverts will also be
 * sent and received on the macvlan interface, unless vmac_xmit_base is configured." Our MASTER and
 * keepalived 2.2.7's BACKUP both use a VMAC; adverts and GARPs carry 00:00:5e:00:01:33 (VRID 51),
 * the VIP follows failover both ways and each VMAC goes with its daemon.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withLab, type Host } from '../helpers/lab';
import { startKeepalived, startKeepalivedTs, vrrpConfig, type DaemonHandle } from '../helpers/keepalived';
import { dumpLogs } from '../helpers/e2e';
import { arpInfo, ethSrc, isGratuitousArp, vrrpInfo } from '../helpers/pcap';

const VIP = '192.0.2.100';
const VMAC = '00:00:5e:00:01:33';

async function sysctl(h: Host, ifname: string, key: string): Promise<string> {
  return (await h.exec(['cat', `/proc/sys/net/ipv4/conf/${ifname}/${key}`], { check: true })).stdout.trim();
}

async function vmacLink(h: Host): Promise<string | null> {
  const r = await h.exec(['ip', '-d', 'link', 'show', 'vrrp.51']);
  return r.code === 0 ? r.stdout : null;
}

async function waitNoVmac(h: Host, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while ((await vmacLink(h)) !== null) {
    if (Date.now() > end) assert.fail(`${h.name}: vrrp.51 still there`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Like host.waitForAddress, but the device may not exist yet (the daemon creates it). */
async function waitVip(h: Host, dev: string, present: boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await h.exec(['ip', '-4', 'addr', 'show', 'dev', dev]);
    if (r.stdout.includes(`inet ${VIP}/`) === present) return;
    if (Date.now() > end) assert.fail(`${h.name}: ${VIP} ${present ? 'not on' : 'still on'} ${dev} after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

test('use_vmac: VIP on vrrp.51, adverts and GARPs from 00:00:5e:00:01:33, failover both ways with keepalived 2.2.7, VMAC removed at stop', { timeout: 90_000 }, async () => {
  await withLab({ hosts: 2 }, async (lab) => {
    const [h1, h2] = lab.hosts as [Host, Host];
    const cap = await lab.capture('vrrp or arp');
    const oursCfg = vrrpConfig({ state: 'MASTER', priority: 100, vips: [`${VIP}/24`], extraInstance: ['use_vmac'] });
    // ours first: two nodes started together both wait out their master-down timers and race
    let ours = startKeepalivedTs(h1, oursCfg);
    let peer: DaemonHandle | undefined;
    try {
      await waitVip(h1, 'vrrp.51', true, 10_000);
      const peerStarted = Date.now();
      peer = startKeepalived(h2, vrrpConfig({ state: 'BACKUP', priority: 90, vips: [`${VIP}/24`], extraInstance: ['use_vmac'] }));
      assert.equal(await h1.hasAddress(VIP, 'eth0'), false, 'the VIP is on the VMAC, not on eth0');
      const link = await vmacLink(h1);
      assert.ok(link, 'vrrp.51 exists');
      assert.match(link, /vrrp\.51@eth0/);
      assert.match(link, new RegExp(`link/ether ${VMAC}`));
      assert.match(link, /macvlan mode private/);
      // keepalived's sysctls: the VMAC answers ARP for the VIP, the base interface does not
      assert.equal(await sysctl(h1, 'vrrp.51', 'arp_ignore'), '1');
      assert.equal(await sysctl(h1, 'vrrp.51', 'accept_local'), '1');
      assert.equal(await sysctl(h1, 'vrrp.51', 'rp_filter'), '0');
      assert.equal(await sysctl(h1, 'eth0', 'arp_ignore'), '1');
      assert.equal(await sysctl(h1, 'eth0', 'arp_filter'), '1');

      // adverts from the virtual MAC reach keepalived through its own VMAC: it stays BACKUP
      await cap.waitFor((fs) => fs.filter((f) => vrrpInfo(f.frame)?.src === h1.ip4).length >= 3, 5000);
      // past keepalived's master-down interval (3 × 1 s + skew) since it started
      await new Promise((r) => setTimeout(r, Math.max(0, peerStarted + 4500 - Date.now())));
      assert.equal(await h2.hasAddress(VIP), false, 'keepalived stays BACKUP');
      assert.ok(!peer.logs().some((l) => /Entering MASTER STATE/.test(l)), 'keepalived never became MASTER');
      const ourAdverts = cap.frames().filter((f) => vrrpInfo(f.frame)?.src === h1.ip4);
      assert.ok(ourAdverts.length >= 3);
      for (const f of ourAdverts) assert.equal(ethSrc(f.frame), VMAC, 'advert source MAC');
      const garps = cap.frames().filter((f) => isGratuitousArp(f.frame, VIP));
      assert.ok(garps.length >= 1, 'GARP for the VIP');
      for (const f of garps) {
        assert.equal(ethSrc(f.frame), VMAC, 'GARP source MAC');
        assert.equal(arpInfo(f.frame)?.senderMac, VMAC, 'GARP sender MAC');
      }
      const baseIgnore = '0';

      // graceful stop: keepalived takes over on its VMAC, ours is gone and eth0 is as before
      await ours.stop();
      await waitVip(h2, 'vrrp.51', true, 10_000);
      await waitNoVmac(h1, 2000);
      assert.equal(await sysctl(h1, 'eth0', 'arp_ignore'), baseIgnore, 'arp_ignore restored');
      assert.equal(await sysctl(h1, 'eth0', 'arp_filter'), '0', 'arp_filter restored');
      await cap.waitFor((fs) => fs.some((f) => vrrpInfo(f.frame)?.src === h2.ip4 && vrrpInfo(f.frame)?.priority === 90), 5000);

      // back: ours (priority 100) preempts keepalived's VMAC master
      const mark = cap.frames().length;
      ours = startKeepalivedTs(h1, oursCfg);
      await waitVip(h1, 'vrrp.51', true, 10_000);
      await h2.waitForAddress(VIP, { present: false, timeoutMs: 5000 });
      const later = cap.frames().slice(mark);
      assert.ok(later.some((f) => vrrpInfo(f.frame)?.src === h1.ip4 && ethSrc(f.frame) === VMAC), 'adverts again from the VMAC');

      await ours.stop();
      await waitNoVmac(h1, 2000);
    } catch (e) {
      dumpLogs([ours, peer]);
      throw e;
    } finally {
      await ours.stop().catch(() => undefined);
      await peer?.stop().catch(() => undefined);
      await cap.stop().catch(() => undefined);
    }
  });
});
