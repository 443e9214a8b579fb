/**
 * VRRPv3 over IPv6 with an IPv6 VIP (config/examples/v3-ipv6: 2001:db8::100/64), each with two
 * keepalived-ts nodes and with keepalived-ts against the real keepalived 2.2.7 in both roles. Adverts
 * go from the link-local address to ff02::12; the VIP is announced by unsolicited NAs (O=1), and the
 * client's neighbour cache must follow them to the new master.
 */
import assert from 'node:assert/strict';
import { ethDst, neighborAdvertInfo, vrrpInfo } from '../helpers/pcap';
import {
  adverts, expectClientReaches, expectTakeover, masterDownMs, MARGIN_MS, pairScenario, seedConfig, skewMs, sleepUntilUs, startOrdered,
  type PairLab,
} from '../helpers/vrrp-assert';

const VIP = '2001:db8::100';

async function steadyPair(p: PairLab) {
  const t0 = p.nowUs();
  const ds = await startOrdered(p, seedConfig('v3-ipv6', 1), seedConfig('v3-ipv6', 2));
  const t2 = p.nowUs();
  const tk = await expectTakeover(p, { vip: VIP, holder: p.n1, released: [p.n2], sinceUs: t0, timeoutMs: masterDownMs(100) + 2 * MARGIN_MS });
  const v = vrrpInfo(tk.advert.frame)!;
  assert.deepEqual([v.version, v.family, v.priority, v.dst, ethDst(tk.advert.frame)], [3, 6, 100, 'ff02::12', '33:33:00:00:00:12']);
  assert.match(v.src, /^fe80:/, 'VRRPv3 over IPv6 advertises from the link-local address');
  const na = neighborAdvertInfo(tk.garp.frame)!;
  assert.deepEqual([na.src, na.dst, na.override, na.solicited, na.tlla], [VIP, 'ff02::1', true, false, p.n1.mac]);
  await expectClientReaches(p, VIP, p.n1);
  // past the backup's own Master_Down_Interval: it accepted the master's v3 adverts and stayed silent
  await sleepUntilUs(t2 + (masterDownMs(90) + 500) * 1000);
  assert.equal(adverts(p.cap.frames(), { from: p.n2 }).length, 0, 'the BACKUP sent adverts: it did not accept the master\'s');
  return ds;
}

pairScenario('VRRPv3 IPv6: graceful stop hands the IPv6 VIP over after Skew_Time, announced by unsolicited NA', async (p) => {
  const [d1] = await steadyPair(p);
  const t0 = p.nowUs();
  await d1.stop();
  const tk = await expectTakeover(p, { vip: VIP, holder: p.n2, released: [p.n1], sinceUs: t0, timeoutMs: skewMs(90) + MARGIN_MS });
  const zero = adverts(p.cap.frames(), { from: p.n1, priority: 0, afterUs: t0 })[0];
  assert.ok(zero, 'no priority-0 advert from the stopping master');
  const gapMs = (tk.advert.tsUs - zero.tsUs) / 1000;
  assert.ok(gapMs >= skewMs(90) - 100 && gapMs < skewMs(90) + 1000, `backup took over ${gapMs.toFixed(0)} ms after priority 0; want ≈ ${skewMs(90).toFixed(0)} ms`);
  await expectClientReaches(p, VIP, p.n2);
});

pairScenario('VRRPv3 IPv6: kill -9 of the master, the backup takes the IPv6 VIP after Master_Down_Interval', async (p) => {
  const [d1] = await steadyPair(p);
  const t0 = p.nowUs();
  await d1.kill9();
  await expectTakeover(p, { vip: VIP, holder: p.n2, sinceUs: t0, timeoutMs: masterDownMs(90) + MARGIN_MS });
  // the dead node keeps the VIP configured and answers: only the NA (override) moves the client
  await expectClientReaches(p, VIP, p.n2);
});
