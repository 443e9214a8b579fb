/**
 * Preemption rules (keepalived.conf(5) `nopreempt`, `preempt_delay`), each with two keepalived-ts
 * nodes and with keepalived-ts against the real keepalived 2.2.7 in both roles. node1 has priority
 * 100, node2 90; both start in state BACKUP as the seeds (config/examples nopreempt, preempt-delay)
 * require.
 */
import assert from 'node:assert/strict';
import {
  adverts, expectClientReaches, expectNotHeld, expectTakeover, masterDownMs, MARGIN_MS, pairScenario, seedConfig, skewMs,
  startOrdered, ADVERT_MS,
} from '../helpers/vrrp-assert';

const VIP = '192.0.2.100';

pairScenario('nopreempt: the old master (priority 100) comes back and does not take the VIP from 90', async (p) => {
  const c1 = seedConfig('nopreempt', 1);
  const t0 = p.nowUs();
  const [d1] = await startOrdered(p, c1, seedConfig('nopreempt', 2));
  await expectTakeover(p, { vip: VIP, holder: p.n1, released: [p.n2], sinceUs: t0, timeoutMs: masterDownMs(100) + 2 * MARGIN_MS });
  const t1 = p.nowUs();
  await d1.stop();
  await expectTakeover(p, { vip: VIP, holder: p.n2, released: [p.n1], sinceUs: t1, timeoutMs: skewMs(90) + MARGIN_MS });
  await expectClientReaches(p, VIP, p.n2);
  const back = p.start(1, c1);
  await back.waitForLog(/Entering BACKUP STATE/, 10_000);
  const t2 = p.nowUs();
  // longer than node1's own Master_Down_Interval: a preempting node would have taken over by then
  await expectNotHeld(p.n1, VIP, masterDownMs(100) + 1000);
  assert.equal(await p.n2.hasAddress(VIP), true, 'node2 lost the VIP');
  assert.equal(adverts(p.cap.frames(), { from: p.n1, afterUs: t2 }).length, 0, 'the returning node1 advertised');
  await expectClientReaches(p, VIP, p.n2);
});

const DELAY_S = 3;

pairScenario(`preempt_delay ${DELAY_S}: a returning higher priority takes the VIP back only after the delay`, async (p) => {
  const c1 = seedConfig('preempt-delay', 1).replace(/preempt_delay \d+/, `preempt_delay ${DELAY_S}`);
  const c2 = seedConfig('preempt-delay', 2).replace(/preempt_delay \d+/, `preempt_delay ${DELAY_S}`);
  const t0 = p.nowUs();
  p.start(2, c2);
  await expectTakeover(p, { vip: VIP, holder: p.n2, sinceUs: t0, timeoutMs: masterDownMs(90) + 2 * MARGIN_MS });
  await expectClientReaches(p, VIP, p.n2);
  const d1 = p.start(1, c1);
  await d1.waitForLog(/Entering BACKUP STATE/, 10_000);
  const t1 = p.nowUs();
  // without the delay node1 would preempt Master_Down_Interval (3.6 s) after starting
  await expectNotHeld(p.n1, VIP, DELAY_S * 1000 + 2 * ADVERT_MS);
  const tk = await expectTakeover(p, { vip: VIP, holder: p.n1, released: [p.n2], sinceUs: t1, timeoutMs: masterDownMs(100) + MARGIN_MS });
  // keepalived: the delay counts from the first lower-priority advert; adverts inside it still reset
  // the master-down timer, which then runs out normally
  const firstHeard = adverts(p.cap.frames(), { from: p.n2, afterUs: t1 })[0]!;
  const gapMs = (tk.advert.tsUs - firstHeard.tsUs) / 1000;
  const lo = DELAY_S * 1000 - ADVERT_MS + masterDownMs(100) - 300;
  const hi = DELAY_S * 1000 + masterDownMs(100) + 1000;
  assert.ok(gapMs >= lo && gapMs <= hi, `node1 preempted ${gapMs.toFixed(0)} ms after the first lower-priority advert; want ${lo.toFixed(0)}..${hi.toFixed(0)} ms`);
  await expectClientReaches(p, VIP, p.n1);
});
