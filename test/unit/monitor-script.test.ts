import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialScriptState, scriptResult, scriptOk, scriptTimeoutMs, nextRun, type ScriptState } from '../../src/actors/monitor/script';

function feed(s: ScriptState, outcomes: boolean[]) {
  const transitions: (string | null)[] = [];
  for (const o of outcomes) {
    const r = scriptResult(s, o);
    transitions.push(r.transition);
    s = { rise: r.rise, fall: r.fall, result: r.result, initState: r.initState };
  }
  return { s, transitions };
}

test('vrrp_script: the first result is reported at once, whatever rise is ("one success is enough")', () => {
  const { s, transitions } = feed(initialScriptState({ rise: 3, fall: 2 }), [true]);
  assert.deepEqual(transitions, ['succeeded']);
  assert.equal(scriptOk(s), true);
  const f = feed(initialScriptState({ rise: 3, fall: 2 }), [false]);
  assert.deepEqual(f.transitions, ['failed']);
  assert.equal(scriptOk(f.s), false);
});

test('vrrp_script fall: KO only after <fall> consecutive failures', () => {
  const { s, transitions } = feed(initialScriptState({ rise: 2, fall: 3 }), [true, false, false, false]);
  assert.deepEqual(transitions, ['succeeded', null, null, 'failed']);
  assert.equal(scriptOk(s), false);
});

test('vrrp_script rise: OK only after <rise> consecutive successes', () => {
  const { s, transitions } = feed(initialScriptState({ rise: 3, fall: 1 }), [false, true, true, true]);
  assert.deepEqual(transitions, ['failed', null, null, 'succeeded']);
  assert.equal(scriptOk(s), true);
});

test('vrrp_script: a success in the middle of failures resets the fall count', () => {
  const { transitions } = feed(initialScriptState({ rise: 1, fall: 3 }), [true, false, false, true, false, false, false]);
  assert.deepEqual(transitions, ['succeeded', null, null, null, null, null, 'failed']);
});

test('vrrp_script: a failure during rise restarts the count', () => {
  const { transitions } = feed(initialScriptState({ rise: 2, fall: 1 }), [false, true, false, true, true]);
  assert.deepEqual(transitions, ['failed', null, null, null, 'succeeded']);
});

test('vrrp_script init_fail: assumed failed, and rise successes are needed to become OK', () => {
  const s0 = initialScriptState({ rise: 2, fall: 1, initFail: true });
  assert.equal(scriptOk(s0), false);
  assert.equal(s0.initState, 'init-fail');
  const { transitions } = feed(s0, [true, true]);
  assert.deepEqual(transitions, [null, 'succeeded']);
});

test('vrrp_script timeout defaults to the interval, interval to 1 s', () => {
  assert.equal(scriptTimeoutMs(5000, undefined), 5000);
  assert.equal(scriptTimeoutMs(undefined, undefined), 1000);
  assert.equal(scriptTimeoutMs(5000, 2000), 2000);
});

test('vrrp_script interval: runs every interval from the previous start; overrunning runs are skipped', () => {
  assert.equal(nextRun(10_000, 2000, 10_500), 12_000);
  assert.equal(nextRun(10_000, 2000, 12_000), 14_000);
  assert.equal(nextRun(10_000, 2000, 15_100), 16_000);
});
