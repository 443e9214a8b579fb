import { test } from 'node:test';
import assert from 'node:assert/strict';
import { masterDownMs, skewUs } from '../../src/actors/vrrp';

test('RFC 3768 §6.1 v2 Skew_Time = (256 − Priority)/256 s, whatever the advert interval', () => {
  assert.equal(skewUs(2, 90, 100), 648_437);          // 0.6484375 s truncated to µs as keepalived
  assert.equal(skewUs(2, 90, 300), 648_437);
  assert.equal(skewUs(2, 255, 100), 3_906);
});

test('RFC 5798 §6.1 v3 Skew_Time = ((256 − Priority) × Master_Adver_Interval)/256', () => {
  assert.equal(skewUs(3, 90, 100), 648_437);
  assert.equal(skewUs(3, 90, 10), 64_843);
  assert.equal(skewUs(3, 254, 1), 78);
});

test('Master_Down_Interval = 3 × Master_Adver_Interval + Skew_Time: 3648.437 ms at priority 90, 1 s (keepalived bound 3648.4 ms)', () => {
  assert.equal(masterDownMs(2, 90, 100), 3648.437);
  assert.equal(masterDownMs(3, 90, 100), 3648.437);
  assert.equal(masterDownMs(3, 90, 10), 364.843);
  assert.equal(masterDownMs(2, 100, 300), 9609.375);
});
