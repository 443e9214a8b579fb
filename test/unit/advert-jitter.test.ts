/** The one advert-jitter definition (bench/measure.ts) and the deputy's grace (src/daemon/deputy.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advertJitter } from '../../bench/measure';
import { deputyGraceMs } from '../../src/daemon/deputy';
import { AdvertTiming, monoToWallOffset } from '../../src/daemon/advert-timing';
import { monoNow } from '../../src/actors/runtime';

test('advert jitter: p99 of |interval − advert_int| and the stdev of the intervals, from wire timestamps', () => {
  // 101 adverts at 1 s: 99 exact intervals and one 3 ms late, whose successor comes 3 ms early
  const ts: number[] = [0];
  for (let i = 1; i <= 100; i++) ts.push(i * 1_000_000 + (i === 50 ? 3_000 : 0));
  const j = advertJitter(ts, 1000);
  assert.equal(j.n, 100);
  assert.equal(j.meanMs, 1000);
  assert.equal(j.maxMs, 1003);
  assert.equal(j.p99AbsDevMs, 3); // 2 of 100 deviate by 3 ms: the 99th percentile is one of them
  assert.ok(Math.abs(j.stdevMs - Math.sqrt(18 / 99)) < 1e-9, String(j.stdevMs));
  const steady = advertJitter([0, 100_000, 200_000, 300_000], 100);
  assert.deepEqual([steady.p99AbsDevMs, steady.stdevMs], [0, 0]);
});

test('deputy grace: 5 % of advert_int, within 2..5 ms (so a 10 ms VRRPv3 interval stays far below its master-down interval)', () => {
  assert.equal(deputyGraceMs(100), 5);
  assert.equal(deputyGraceMs(10), 5);
  assert.equal(deputyGraceMs(6), 3);
  assert.equal(deputyGraceMs(1), 2);
});

test('advert timing (src/daemon/advert-timing.ts): stages per advert, p50/p99 over the last 64, the last takeover with wall-clock stamps', () => {
  const t = new AdvertTiming();
  assert.equal(t.view(0), null, 'nothing before the first timer-driven advert');
  // 100 adverts: deadline d, step d+0.2, posted d+0.3, received d+0.6, sent d+0.7; advert 80 woke 2 ms late
  for (let i = 0; i < 100; i++) {
    const d = 1000 * i;
    const late = i === 80 ? 2 : 0;
    t.record({ due: d, stepAt: d + 0.2 + late, postedAt: d + 0.3 + late }, d + 0.6 + late, d + 0.7 + late, false, null);
  }
  let v = t.view(0)!;
  assert.equal(v.adverts, 100);
  assert.equal(v.window, 64);
  assert.deepEqual(v.wake, { p50: 0.2, p99: 2.2, max: 2.2 });
  assert.deepEqual(v.step, { p50: 0.1, p99: 0.1, max: 0.1 });
  assert.deepEqual(v.hop, { p50: 0.3, p99: 0.3, max: 0.3 });
  assert.deepEqual(v.send, { p50: 0.1, p99: 0.1, max: 0.1 });
  assert.deepEqual(v.total, { p50: 0.7, p99: 2.7, max: 2.7 });
  assert.equal(v.lastTakeover, null);
  // a takeover: last advert read at 5000, master-down 3648.44 ms later, sent 1.1 ms after the deadline
  const due = 5000 + 3648.44;
  t.record({ due, stepAt: due + 0.3, postedAt: due + 0.45 }, due + 0.9, due + 1.1, true, 5000);
  v = t.view(1_700_000_000_000)!;
  assert.deepEqual(v.lastTakeover, {
    lastAdvertRxWall: 1_700_000_005_000, sentWall: 1_700_000_008_649.54, masterDownMs: 3648.44,
    wakeMs: 0.3, stepMs: 0.15, hopMs: 0.45, sendMs: 0.2, totalMs: 1.1,
  });
  // the offset maps the monotonic clock onto the wall clock
  const off = monoToWallOffset();
  const wall = off + monoNow();
  // Date.now() counts whole milliseconds: the true wall clock is within [Date.now(), Date.now() + 1)
  const d = Date.now() - wall;
  assert.ok(d > -1.05 && d < 1, `${wall} vs ${Date.now()}`);
});
