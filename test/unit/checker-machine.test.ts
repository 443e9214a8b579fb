import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialState, onOutcome, firstDelayMs, nextUrl, type MachineConfig, type CheckerState, type Outcome } from '../../src/actors/checker/machine';

const OK: Outcome = { ok: true, reason: 'ok' };
const KO: Outcome = { ok: false, reason: 'ko' };

function cfg(over: Partial<MachineConfig> = {}): MachineConfig {
  return { style: 'generic', retry: 2, delayLoopMs: 6000, delayBeforeRetryMs: 1000, warmupMs: 0, alpha: false, urls: 1, fastRecovery: false, ...over };
}

/** Feed outcomes; returns each step's [transition, delay] and the final state. */
function run(c: MachineConfig, outcomes: Outcome[], s: CheckerState = initialState(c)) {
  const steps: [string | null, number][] = [];
  for (const o of outcomes) {
    const st = onOutcome(c, s, o);
    steps.push([st.transition, st.delayMs]);
    s = st.state;
  }
  return { steps, s };
}

test('start: a checker is up and its first check runs after 1 s plus a random share of warmup', () => {
  const c = cfg({ warmupMs: 6000 });
  assert.equal(initialState(c).up, true);
  assert.equal(firstDelayMs(c, 0), 1000);
  assert.equal(firstDelayMs(c, 0.5), 4000);
  assert.equal(firstDelayMs(c, 1), 7000);
});

test('alpha: a checker starts down and its first success brings it up', () => {
  const c = cfg({ alpha: true });
  assert.equal(initialState(c).up, false);
  const { steps, s } = run(c, [OK]);
  assert.deepEqual(steps, [['up', 6000]]);
  assert.equal(s.up, true);
});

test('alpha: a first failure reports down (no retry) and the checker stays down', () => {
  const { steps, s } = run(cfg({ alpha: true }), [KO, KO]);
  assert.deepEqual(steps, [['down', 6000], [null, 6000]]);
  assert.equal(s.up, false);
});

test('the first result is reported even when it confirms the starting state', () => {
  assert.deepEqual(run(cfg(), [OK]).steps, [['up', 6000]]);
});

test('one failure is enough initially: a first failure marks the checker down without retrying', () => {
  for (const style of ['tcp', 'http', 'generic'] as const) {
    const { steps, s } = run(cfg({ style }), [KO]);
    assert.equal(steps[0][0], 'down', style);
    assert.equal(s.up, false, style);
  }
});

test('retry: a failure while up is retried `retry` times, delay_before_retry apart, then down', () => {
  const { steps } = run(cfg({ retry: 2 }), [OK, KO, KO, KO]);
  assert.deepEqual(steps, [['up', 6000], [null, 1000], [null, 1000], ['down', 6000]]);
});

test('retry: a success during the retries resets the count (no transition)', () => {
  const { steps, s } = run(cfg({ retry: 2 }), [OK, KO, KO, OK, KO, KO, KO]);
  assert.deepEqual(steps.map((x) => x[0]), ['up', null, null, null, null, null, 'down']);
  assert.equal(s.retryIt, 0);
});

test('retry 0: the first failure while up marks the checker down', () => {
  assert.deepEqual(run(cfg({ retry: 0 }), [OK, KO]).steps, [['up', 6000], ['down', 6000]]);
});

test('down: a success brings the checker up at once, whatever retry is', () => {
  assert.deepEqual(run(cfg({ retry: 3 }), [KO, OK]).steps, [['down', 6000], ['up', 6000]]);
});

test('UDP/PING/DNS/SMTP/MISC: a failure while down waits delay_loop and spends no retries', () => {
  const { steps, s } = run(cfg({ retry: 2 }), [KO, KO, KO]);
  assert.deepEqual(steps, [['down', 6000], [null, 6000], [null, 6000]]);
  assert.equal(s.retryIt, 0);
});

test('TCP_CHECK: a failure while down still spends its retries (check_tcp.c), without any transition', () => {
  const { steps } = run(cfg({ style: 'tcp', retry: 2 }), [KO, KO, KO, KO, KO]);
  assert.deepEqual(steps, [['down', 6000], [null, 1000], [null, 1000], [null, 6000], [null, 1000]]);
});

test('HTTP_GET: every url must succeed in one pass, one url per delay_loop, before the checker is up', () => {
  const c = cfg({ style: 'http', alpha: true, urls: 3 });
  const s0 = initialState(c);
  assert.equal(nextUrl(s0), 0);
  const { steps, s } = run(c, [OK, OK, OK]);
  assert.deepEqual(steps, [[null, 6000], [null, 6000], ['up', 6000]]);
  assert.equal(nextUrl(s), 0);
});

test('HTTP_GET: a url that fails past its retries marks the checker down and is the one re-checked', () => {
  const c = cfg({ style: 'http', urls: 2, retry: 1, delayBeforeRetryMs: 3000 });
  let r = run(c, [OK, OK]);
  assert.equal(r.s.up, true);
  r = run(c, [OK, KO, KO], r.s); // url 0 fine, url 1 fails twice
  assert.deepEqual(r.steps, [[null, 6000], [null, 3000], ['down', 6000]]);
  assert.equal(r.s.failedUrl, 1);
  assert.equal(nextUrl(r.s), 1);
  // while down the failed url is re-checked every max(delay_before_retry, delay_loop)
  const again = run(c, [KO], r.s);
  assert.deepEqual(again.steps, [[null, 6000]]);
  // it recovers: every url is checked again from the first before the checker is up
  const back = run(c, [OK, OK, OK], again.s);
  assert.deepEqual(back.steps, [[null, 6000], [null, 6000], ['up', 6000]]);
});

test('HTTP_GET fast_recovery: no delay_loop wait before the first pass completes', () => {
  const c = cfg({ style: 'http', urls: 2, alpha: true, fastRecovery: true });
  assert.deepEqual(run(c, [OK, OK]).steps, [[null, 0], ['up', 6000]]);
});

test('misc_dynamic / FILE_CHECK: a weight share change is reported without a transition, a failure drops it', () => {
  const c = cfg({ retry: 0 });
  const a = onOutcome(c, initialState(c), { ok: true, reason: 'ok', weightOffset: 5 });
  assert.equal(a.transition, 'up');
  assert.equal(a.weightChanged, true);
  const b = onOutcome(c, a.state, { ok: true, reason: 'ok', weightOffset: 5 });
  assert.equal(b.weightChanged, false);
  const d = onOutcome(c, b.state, { ok: true, reason: 'ok', weightOffset: -1 });
  assert.deepEqual([d.transition, d.weightChanged, d.state.weightOffset], [null, true, -1]);
  const f = onOutcome(c, d.state, KO);
  assert.deepEqual([f.transition, f.weightChanged, f.state.weightOffset], ['down', true, 0]);
});
