import { test } from 'node:test';
import assert from 'node:assert/strict';
import { step } from '../../src/actors/vrrp';
import { params, master } from './vrrp-helpers';

test('RFC 5798 §6.4.3 Adver_Timer: a late firing does not push later adverts back (no drift)', () => {
  const p = params({ priority: 100, advertIntCs: 100 });
  let s = master(p, 0);
  const due = s.timers.advert!;
  assert.ok(due !== null);
  // the timer ran 3 ms late (busy thread): the next deadline still counts from the due time
  const r = step(p, s, { type: 'timer', now: due + 3, timer: 'advert' });
  assert.deepEqual(r.intents.filter((i) => i.type === 'sendAdvert'), [{ type: 'sendAdvert', priority: 100 }]);
  assert.equal(r.state.timers.advert, due + 1000);
  s = r.state;
  // far behind (more than a whole interval): restart from now instead of sending a burst
  const r2 = step(p, s, { type: 'timer', now: due + 1000 + 2500, timer: 'advert' });
  assert.equal(r2.state.timers.advert, due + 1000 + 2500 + 1000);
});
