/** Decoders never throw on wire input: 20,000 seeded random and mutated buffers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeVrrp, decodeVrrpDatagram, decodeIpv4, decodeIpv6, decodeEthernet, decodeArp, decodeNa, decodeNaFrame,
  decodeAh, verifyAh, checkAdvert, encodeVrrp, encodeVrrpDatagram, gratuitousArp, unsolicitedNaFrame,
} from '../../src/protocol';
import { mulberry32, testSeed } from '../helpers/prng';

const V4 = { family: 4 as const, src: '192.0.2.11', dst: '224.0.0.18' };
const V6 = { family: 6 as const, src: 'fe80::1', dst: 'ff02::12' };
const seeds: Buffer[] = [
  encodeVrrpDatagram({ version: 2, vrid: 51, priority: 100, addresses: ['192.0.2.100'], authType: 1, authPass: 'secret1' }, { src: '192.0.2.11', id: 1 }),
  encodeVrrpDatagram({ version: 3, vrid: 51, priority: 100, addresses: ['192.0.2.100', '192.0.2.101'] }, { src: '192.0.2.11', id: 1 }),
  encodeVrrpDatagram({ version: 2, vrid: 51, priority: 100, addresses: ['192.0.2.100'], authType: 2 }, { src: '192.0.2.11', id: 1 },
    { ah: { seq: 1, authPass: 'x', unicast: false } }),
  encodeVrrp({ version: 3, vrid: 51, priority: 100, addresses: ['2001:db8::100'] }, V6),
  gratuitousArp('02:00:c0:00:02:0b', '192.0.2.100'),
  unsolicitedNaFrame({ mac: '02:00:c0:00:02:0b', src: '2001:db8::100', target: '2001:db8::100', router: false }),
];

function mutate(r: () => number, base: Buffer): Buffer {
  const b = Buffer.from(base);
  const op = Math.floor(r() * 4);
  if (op === 0) { for (let i = 0, n = 1 + Math.floor(r() * 4); i < n; i++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256); return b; }
  if (op === 1) return b.subarray(0, Math.floor(r() * b.length));
  if (op === 2) return Buffer.concat([b, Buffer.from(Array.from({ length: Math.floor(r() * 40) }, () => Math.floor(r() * 256)))]);
  return Buffer.from(Array.from({ length: Math.floor(r() * 120) }, () => Math.floor(r() * 256)));
}

test('20,000 random and mutated buffers: every decoder returns a typed result, never throws', (t) => {
  const seed = testSeed(t);
  const r = mulberry32(seed);
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    const b = mutate(r, seeds[i % seeds.length]);
    try {
      for (const ctx of [V4, { ...V4, v3ChecksumAsV2: true }, V6]) {
        const d = decodeVrrp(b, ctx);
        if (d.ok) {
          accepted++;
          checkAdvert(d.packet, { vrid: 51, version: 2, family: ctx.family, adverInt: 1, authType: 1, authPass: 'secret1',
            addresses: ['192.0.2.100'], skipCheckAdvAddr: false, ttl: 255, strict: true, dst: ctx.dst });
        } else assert.equal(typeof d.reason, 'string');
      }
      decodeVrrpDatagram(b); decodeIpv4(b); decodeIpv6(b); decodeEthernet(b); decodeArp(b);
      decodeNa(b); decodeNa(b, { src: 'fe80::1', dst: 'ff02::1' }); decodeNaFrame(b); decodeAh(b);
      verifyAh(b, { authPass: 'x', unicast: false, lastSeq: 0 });
    } catch (err) {
      assert.fail(`TEST_SEED=${seed} iteration ${i} threw on ${b.toString('hex')}: ${String(err)}`);
    }
  }
  assert.ok(accepted > 0, 'some mutations should still be valid adverts');
});
