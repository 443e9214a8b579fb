import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gaveUpStep, GAVE_UP_REASON } from '../../src/daemon/gave-up';
import { params, types, backup, master, run } from './vrrp-helpers';

test('an actor given up as MASTER: the machine sends priority 0, releases the VIPs and enters FAULT', () => {
  const p = params();
  const r = gaveUpStep(p, master(p), 10_000);
  assert.equal(r.state.state, 'FAULT');
  assert.deepEqual(types(r.intents).filter((t) => !t.startsWith('clearTimer')), ['sendAdvert', 'removeVips', 'transition']);
  assert.deepEqual(r.intents.find((i) => i.type === 'sendAdvert'), { type: 'sendAdvert', priority: 0 });
  assert.deepEqual(r.intents.at(-1), { type: 'transition', from: 'MASTER', to: 'FAULT', reason: GAVE_UP_REASON });
});

test('an actor given up as BACKUP: FAULT without an advert or a VIP change', () => {
  const p = params();
  const r = gaveUpStep(p, backup(p), 10_000);
  assert.equal(r.state.state, 'FAULT');
  assert.deepEqual(types(r.intents), ['clearTimer:masterDown', 'transition']);
});

test('an actor given up before it reported a state (INIT): FAULT as with a fault at startup', () => {
  const p = params({ priority: 255, initialState: 'MASTER' });
  const r = gaveUpStep(p, null, 0);
  assert.equal(r.state.state, 'FAULT');
  assert.deepEqual(r.intents, [{ type: 'transition', from: 'INIT', to: 'FAULT', reason: GAVE_UP_REASON }]);
});

test('an actor given up while its instance is already in FAULT (a tracker): nothing is repeated', () => {
  const p = params();
  const inFault = run(p, [{ type: 'fault', now: 5, fault: true, reason: 'tracker' }], backup(p)).state;
  const r = gaveUpStep(p, inFault, 10_000);
  assert.equal(r.state.state, 'FAULT');
  assert.deepEqual(r.intents, []);
});
