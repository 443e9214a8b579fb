/**
 * The IPv4 header src/io builds for IP_HDRINCL adverts and the parser for received datagrams
 * (pure: no namespace needed). Wire input never throws: a malformed datagram yields a reason,
 * which VrrpSocket counts in `stats.rxMalformed`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildIpv4Header, parseIpv4 } from '../../src/io';

// keepalived 2.2.7 first v2 advert (reference/keepalived-wire-facts.md), IP header + VRRP
const REF_V2 = Buffer.from(
  ('45 c0 00 28 00 01 00 00 ff 70 18 87 c0 00 02 0b e0 00 00 12' + '21 33 64 01 01 01 4a 19 c0 00 02 64 73 65 63 72 65 74 31 00').replace(/ /g, ''),
  'hex',
);

test('the IPv4 header of an advert equals keepalived 2.2.7\'s (TOS 0xc0, id 1, DF clear, TTL 255, checksum 0x1887)', () => {
  const h = buildIpv4Header({ src: '192.0.2.11', dst: '224.0.0.18', id: 1, payloadLength: 20 });
  assert.equal(h.toString('hex'), REF_V2.subarray(0, 20).toString('hex'));
});

test('a received advert parses to TTL, source, destination and the VRRP payload', () => {
  const p = parseIpv4(REF_V2);
  assert.ok(p.ok);
  assert.deepEqual([p.src, p.dst, p.ttl, p.tos, p.id, p.protocol], ['192.0.2.11', '224.0.0.18', 255, 0xc0, 1, 112]);
  assert.equal(p.payload.toString('hex'), REF_V2.subarray(20).toString('hex'));
});

test('malformed datagrams give a drop reason instead of throwing', () => {
  assert.deepEqual(parseIpv4(Buffer.alloc(10)), { ok: false, reason: 'too-short' });
  const v6 = Buffer.from(REF_V2);
  v6[0] = 0x65;
  assert.deepEqual(parseIpv4(v6), { ok: false, reason: 'not-ipv4' });
  const longer = Buffer.from(REF_V2);
  longer.writeUInt16BE(200, 2);
  assert.deepEqual(parseIpv4(longer), { ok: false, reason: 'bad-total-length' });
  const ihl = Buffer.from(REF_V2);
  ihl[0] = 0x44;
  assert.deepEqual(parseIpv4(ihl), { ok: false, reason: 'bad-header-length' });
  const frag = Buffer.from(REF_V2);
  frag.writeUInt16BE(0x2000, 6);
  assert.deepEqual(parseIpv4(frag), { ok: false, reason: 'fragment' });
});
