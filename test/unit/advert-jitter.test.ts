/** The one advert-jitter definition (bench/measure.ts) and the deputy's grace (src/daemon/deputy.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advertJitter } from '../../bench/measure';
import { deputyGraceMs } from '../../src/daemon/deputy';

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
