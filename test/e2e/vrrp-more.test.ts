/**
 * More interop with the real keepalived 2.2.7 in both roles (and two keepalived-ts nodes):
 * VRRPv3 over IPv4 at a 0.1 s advert interval, the priority-255 address owner, and a MASTER that
 * hears a lower-priority advert.
 */
import assert from 'node:assert/strict';
import { encodeVrrp } from '../../src/protocol/vrrp';
import { vrrpConfig, type DaemonHandle } from '../helpers/keepalived';
import { ethSrc, vrrpInfo } from '../helpers/pcap';
import { sendRawVrrp } from '../helpers/raw-vrrp';
import {
  adverts, announcements, COMBOS, expectClientReaches, expectTakeover, masterDownMs, MARGIN_MS, pairScenario, sleepUntilUs, startOrdered,
  type PairLab, type Takeover,
} from '../helpers/vrrp-assert';

const VIP = '192.0.2.100';

pairScenario('VRRPv3 over IPv4, advert_int 0.1: centisecond adverts, kill -9 failover after 3 × 0.1 s + skew', async (p) => {
  const conf = (state: 'MASTER' | 'BACKUP', priority: number) => vrrpConfig({ state, priority, version: 3, advertInt: 0.1, vips: [`${VIP}/24`] });
  const t0 = p.nowUs();
  const [d1, d2] = await startOrdered(p, conf('MASTER', 100), conf('BACKUP', 90));
  await expectTakeover(p, { vip: VIP, holder: p.n1, released: [p.n2], sinceUs: t0, timeoutMs: masterDownMs(100, 100) + 2 * MARGIN_MS });
  // at 0.1 s node1 can win before node2 has even finished starting: let node2 settle as BACKUP and
  // follow a few of node1's adverts, so the kill measures a failover and not node2's start-up
  await d2.waitForLog(/Entering BACKUP STATE/, 10_000);
  await new Promise((r) => setTimeout(r, 600));
  const ads = adverts(p.cap.frames(), { from: p.n1 });
  const f = ads[ads.length - 1]!.frame;
  const info = vrrpInfo(f)!;
  assert.equal(info.version, 3);
  // RFC 5798 §5.2.7: 4 reserved bits, then the 12-bit Max Advertise Interval in centiseconds
  assert.equal(((f[info.offset + 4]! & 0x0f) << 8) | f[info.offset + 5]!, 10, 'max advert interval 10 cs on the wire');
  const t1 = p.nowUs();
  await d1.kill9();
  const tk = await expectTakeover(p, { vip: VIP, holder: p.n2, sinceUs: t1, timeoutMs: masterDownMs(90, 100) + MARGIN_MS });
  const last = adverts(p.cap.frames(), { from: p.n1 }).filter((f) => f.tsUs < tk.advert.tsUs).pop()!;
  const gapMs = (tk.advert.tsUs - last.tsUs) / 1000;
  // keepalived measured 365–370 ms here (bound 364.8 ms)
  assert.ok(gapMs >= masterDownMs(90, 100) - 20 && gapMs < masterDownMs(90, 100) + 150, `takeover ${gapMs.toFixed(1)} ms after the last advert`);
  await expectClientReaches(p, VIP, p.n2);
}, { timeoutMs: 40_000 });

/**
 * The owner skips the master-down wait (keepalived vrrp_init_state: no BACKUP state, a 1 µs timer;
 * ours: INIT to MASTER), so its log has no BACKUP entry before MASTER. That is the check; the time is
 * not, as it is mostly the daemon's start-up: under load (a core-bound process beside, other labs)
 * keepalived-ts took 2.1 s from the spawn to its first log line (node loading its modules) and 1.1 s
 * more to MASTER, and the old spawn-based bound of 3 s failed at 3229 ms. The deadline runs from the
 * first log line, with the start-up slack every takeover here has (2 × MARGIN_MS).
 */
async function expectOwnerAtOnce(p: PairLab, d: DaemonHandle, sinceUs: number): Promise<Takeover> {
  await d.waitForLog(/Starting [Kk]eepalived/, 10_000);
  const tk = await expectTakeover(p, { vip: VIP, holder: p.n1, released: [p.n2], sinceUs, timeoutMs: masterDownMs(255) + 2 * MARGIN_MS, log: { daemon: d, instance: 'VI_1' } });
  assert.equal(vrrpInfo(tk.advert.frame)!.priority, 255);
  const states = d.logs().filter((l) => /\(VI_1\) Entering (BACKUP|MASTER) STATE/.test(l)).map((l) => /Entering (\w+)/.exec(l)![1]);
  assert.equal(states[0], 'MASTER', `the owner's first state was ${states[0]} (no master-down wait for priority 255)`);
  return tk;
}

pairScenario('priority 255 (address owner): MASTER at once at start-up, and again at once when it comes back', async (p) => {
  const owner = vrrpConfig({ state: 'MASTER', priority: 255, vips: [`${VIP}/24`] });
  const backup = vrrpConfig({ state: 'BACKUP', priority: 90, vips: [`${VIP}/24`] });
  const d2 = p.start(2, backup);
  await d2.waitForLog(/Entering BACKUP STATE/, 10_000);
  const t0 = p.nowUs();
  const d1 = p.start(1, owner);
  await expectOwnerAtOnce(p, d1, t0);
  await d1.stop();
  await expectTakeover(p, { vip: VIP, holder: p.n2, sinceUs: p.nowUs() - 2_000_000, timeoutMs: masterDownMs(90) + MARGIN_MS });
  const t1 = p.nowUs();
  const again = p.start(1, owner);
  await expectOwnerAtOnce(p, again, t1);
  await expectClientReaches(p, VIP, p.n1);
}, { timeoutMs: 50_000 });

// keepalived 2.2.7 vrrp.c vrrp_state_master_rx: a MASTER that hears a lower-priority advert logs it,
// answers with an advert of its own ("forcing new election") and sends garp_lower_prio_repeat
// gratuitous ARPs (default: vrrp_garp_master_repeat, 5). The returning owner above meets this when
// the old master's last advert crosses its first one. Node 1 only (keepalived-ts, then keepalived);
// the advert comes from the client host.
pairScenario('MASTER hears a lower-priority advert: it answers with an advert and 5 more GARPs, as keepalived', async (p) => {
  const t0 = p.nowUs();
  const d1 = p.start(1, vrrpConfig({ state: 'MASTER', priority: 255, vips: [`${VIP}/24`] }));
  const tk = await expectOwnerAtOnce(p, d1, t0);
  await sleepUntilUs(tk.garp.tsUs + 1_500_000);
  const t1 = p.nowUs();
  const ctx = { family: 4 as const, src: p.client.ip4, dst: '224.0.0.18' };
  const low = encodeVrrp({ version: 2, vrid: 51, priority: 50, addresses: [VIP], adverInt: 1, authType: 1, authPass: 'secret1' }, ctx);
  await sendRawVrrp(p.client, [{ ttl: 255, payload: low }]);
  await d1.waitForLog(/Received advert from 192\.0\.2\.13 with lower priority 50, ours 255, forcing new election/, 3000);
  const frames = await p.cap.waitFor((fr) => announcements(fr, VIP, p.n1, t1).length >= 5, 2000).catch(() => p.cap.frames());
  await sleepUntilUs(t1 + 1_500_000);
  const heard = adverts(p.cap.frames(), { afterUs: t1 }).find((f) => ethSrc(f.frame) === p.client.mac);
  assert.ok(heard, 'the injected advert is not on the wire');
  const garps = announcements(p.cap.frames(), VIP, p.n1, heard.tsUs).filter((f) => f.tsUs - heard.tsUs < 1_000_000);
  assert.equal(garps.length, 5, `${garps.length} GARPs in the second after the lower-priority advert (frames: ${frames.length})`);
  assert.ok((garps[0]!.tsUs - heard.tsUs) / 1000 < 200, `first GARP ${((garps[0]!.tsUs - heard.tsUs) / 1000).toFixed(1)} ms after the advert`);
  const answer = adverts(p.cap.frames(), { from: p.n1, afterUs: heard.tsUs })[0];
  assert.ok(answer && (answer.tsUs - heard.tsUs) / 1000 < 200, 'no advert of its own right after the lower-priority one');
  assert.equal(vrrpInfo(answer.frame)!.priority, 255);
}, { combos: COMBOS.filter((c) => c.node2 === 'ts'), timeoutMs: 30_000 });
