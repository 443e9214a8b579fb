/**
 * Losing the master, each with two keepalived-ts nodes and with keepalived-ts against the real
 * keepalived 2.2.7 in both roles (seed multicast pair: node1 priority 100, node2 priority 90):
 * graceful stop (priority 0 advert ⇒ the backup takes over after Skew_Time, not Master_Down_Interval)
 * and kill -9 (the backup takes over after Master_Down_Interval). Each checks the VIP holder, the new
 * master's first GARP on the wire, and a client's ping through the new master.
 */
import assert from 'node:assert/strict';
import { vrrpInfo } from '../helpers/pcap';
import {
  adverts, expectClientReaches, expectTakeover, masterDownMs, MARGIN_MS, pairScenario, seedConfig, skewMs, startOrdered,
  type PairLab,
} from '../helpers/vrrp-assert';

const VIP = '192.0.2.100';

/** Seed multicast pair, node1 MASTER with the VIP and the client's neighbour entry pointing at it. */
async function steadyPair(p: PairLab) {
  const t0 = p.nowUs();
  const ds = await startOrdered(p, seedConfig('multicast', 1), seedConfig('multicast', 2));
  await expectTakeover(p, { vip: VIP, holder: p.n1, released: [p.n2], sinceUs: t0, timeoutMs: masterDownMs(100) + 2 * MARGIN_MS });
  await expectClientReaches(p, VIP, p.n1);
  return ds;
}

pairScenario('graceful stop: the master sends priority 0 and the backup takes over after Skew_Time', async (p) => {
  const [d1] = await steadyPair(p);
  const t0 = p.nowUs();
  await d1.stop();
  const tk = await expectTakeover(p, { vip: VIP, holder: p.n2, released: [p.n1], sinceUs: t0, timeoutMs: skewMs(90) + MARGIN_MS });
  const frames = p.cap.frames();
  const zero = adverts(frames, { from: p.n1, priority: 0, afterUs: t0 })[0];
  assert.ok(zero, 'no priority-0 advert from the stopping master');
  const gapMs = (tk.advert.tsUs - zero.tsUs) / 1000;
  // keepalived: 649 ms from the priority-0 advert to the new master's first advert at priority 90
  assert.ok(gapMs >= skewMs(90) - 100 && gapMs < skewMs(90) + 1000,
    `backup became master ${gapMs.toFixed(0)} ms after the priority-0 advert; want ≈ Skew_Time ${skewMs(90).toFixed(0)} ms, far below ${masterDownMs(90).toFixed(0)} ms`);
  assert.equal(vrrpInfo(tk.advert.frame)!.priority, 90);
  await expectClientReaches(p, VIP, p.n2);
});

pairScenario('kill -9 of the master: the backup takes over after Master_Down_Interval', async (p) => {
  const [d1] = await steadyPair(p);
  const t0 = p.nowUs();
  await d1.kill9();
  const tk = await expectTakeover(p, { vip: VIP, holder: p.n2, sinceUs: t0, timeoutMs: masterDownMs(90) + MARGIN_MS });
  const last = adverts(p.cap.frames(), { from: p.n1 }).filter((f) => f.tsUs < tk.advert.tsUs).pop()!;
  const gapMs = (tk.advert.tsUs - last.tsUs) / 1000;
  // keepalived: 3649 ms from the old master's last advert to the new master's first
  assert.ok(gapMs >= masterDownMs(90) - 150 && gapMs < masterDownMs(90) + 1000,
    `backup became master ${gapMs.toFixed(0)} ms after the last advert; want ≈ Master_Down_Interval ${masterDownMs(90).toFixed(0)} ms`);
  // the dead node's kernel still has the VIP and answers: only the GARP moves the client over
  await expectClientReaches(p, VIP, p.n2);
});

pairScenario('link cut: the master loses carrier (FAULT, VIP released), the backup takes over; on link up the master preempts back', async (p) => {
  await steadyPair(p);
  const t0 = p.nowUs();
  await p.lab.cutLink(p.n1);
  await p.n1.waitForAddress(VIP, { present: false, timeoutMs: MARGIN_MS });
  await expectTakeover(p, { vip: VIP, holder: p.n2, sinceUs: t0, timeoutMs: masterDownMs(90) + MARGIN_MS });
  await expectClientReaches(p, VIP, p.n2);
  const t1 = p.nowUs();
  await p.lab.healLink(p.n1);
  // back from FAULT as BACKUP, node1 hears priority 90, discards it and preempts when its timer runs out
  await expectTakeover(p, { vip: VIP, holder: p.n1, released: [p.n2], sinceUs: t1, timeoutMs: masterDownMs(100) + 2 * MARGIN_MS });
  await expectClientReaches(p, VIP, p.n1);
});

pairScenario('partition and heal: both sides become master, after the heal the higher priority keeps the VIP', async (p) => {
  await steadyPair(p);
  const t0 = p.nowUs();
  await p.lab.partition([p.n1], [p.n2, p.client]);
  await expectTakeover(p, { vip: VIP, holder: p.n2, sinceUs: t0, timeoutMs: masterDownMs(90) + MARGIN_MS });
  assert.equal(await p.n1.hasAddress(VIP), true, 'node1 (alone on its side) should stay master');
  await expectClientReaches(p, VIP, p.n2);
  const t1 = p.nowUs();
  await p.lab.heal();
  // the two masters meet: node2 yields to 100, node1 answers node2's advert with an advert and GARPs
  await expectTakeover(p, { vip: VIP, holder: p.n1, released: [p.n2], sinceUs: t1, timeoutMs: ADVERT_WAIT, fresh: false });
  await expectClientReaches(p, VIP, p.n1);
});

const ADVERT_WAIT = 1000 + MARGIN_MS;
