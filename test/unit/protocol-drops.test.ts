/** One test per drop reason: wire decoding (RFC 3768 §7.1, RFC 5798 §7.1) and keepalived's vrrp_check_packet. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeVrrp, encodeVrrp, checkAdvert, skipAddrCheck, decodeIpv4, encodeIpv4, decodeIpv6, decodeVrrpDatagram,
  verifyAh, encodeVrrpDatagram, VrrpPacket, AdvertExpectation, VrrpEncodeInput,
} from '../../src/protocol';

const V4 = { family: 4 as const, src: '192.0.2.11', dst: '224.0.0.18' };
const V6 = { family: 6 as const, src: 'fe80::1', dst: 'ff02::12' };
const v2: VrrpEncodeInput = { version: 2, vrid: 51, priority: 100, addresses: ['192.0.2.100'], adverInt: 1, authType: 1, authPass: 'secret1' };
const v3: VrrpEncodeInput = { version: 3, vrid: 51, priority: 100, addresses: ['192.0.2.100'], maxAdverIntCs: 100 };

function reject(buf: Buffer, ctx: Parameters<typeof decodeVrrp>[1], reason: string) {
  const d = decodeVrrp(buf, ctx);
  assert.equal(d.ok, false);
  if (!d.ok) assert.equal(d.reason, reason);
}
function packet(p: VrrpEncodeInput, ctx: { family: 4 | 6; src: string; dst: string } = V4): VrrpPacket {
  const d = decodeVrrp(encodeVrrp(p, ctx), ctx);
  assert.ok(d.ok);
  return d.packet;
}
const expect2: AdvertExpectation = { vrid: 51, version: 2, family: 4, adverInt: 1, authType: 1, authPass: 'secret1',
  addresses: ['192.0.2.100'], skipCheckAdvAddr: false, ttl: 255, strict: false };

test('decode: fewer than 8 bytes is too-short', () => reject(Buffer.alloc(7), V4, 'too-short'));
test('decode: version other than 2 or 3 is bad-version (RFC 5798 §5.2.1)', () => {
  const b = encodeVrrp(v3, V4); b[0] = 0x41; reject(b, V4, 'bad-version');
});
test('decode: type other than ADVERTISEMENT (1) is bad-type (RFC 5798 §5.2.2)', () => {
  const b = encodeVrrp(v3, V4); b[0] = 0x32; reject(b, V4, 'bad-type');
});
test('decode: length not matching Count IPvX Addr is bad-length (keepalived "vrrp packet too long/short")', () => {
  reject(encodeVrrp(v2, V4).subarray(0, 19), V4, 'bad-length');
  reject(Buffer.concat([encodeVrrp(v3, V4), Buffer.alloc(4)]), V4, 'bad-length');
});
test('decode: a corrupted byte is bad-checksum (RFC 3768 §5.3.8)', () => {
  const b = encodeVrrp(v2, V4); b[2] ^= 1; reject(b, V4, 'bad-checksum');
});
test('decode: a v3 IPv4 checksum is bound to the pseudo-header addresses (RFC 5798 §5.2.8)', () => {
  const b = encodeVrrp(v3, V4);
  reject(b, { ...V4, src: '192.0.2.12' }, 'bad-checksum');
  reject(b, { ...V4, v3ChecksumAsV2: true }, 'bad-checksum');
});
test('v3_checksum_as_v2: the IPv4 v3 checksum covers the VRRP message only', () => {
  const ctx = { ...V4, v3ChecksumAsV2: true };
  const b = encodeVrrp(v3, ctx);
  assert.ok(decodeVrrp(b, ctx).ok);
  reject(b, V4, 'bad-checksum');
});
test('decode: an IPv6 advert with a checksum for other addresses is bad-checksum', () => {
  const b = encodeVrrp({ ...v3, addresses: ['2001:db8::100'] }, V6);
  assert.ok(decodeVrrp(b, V6).ok);
  reject(b, { ...V6, src: 'fe80::2' }, 'bad-checksum');
});
test('keepalived VRRPv2 over IPv6 carries no auth data', () => {
  const b = encodeVrrp({ version: 2, vrid: 51, priority: 100, addresses: ['2001:db8::100'] }, V6);
  assert.equal(b.length, 8 + 16);
  const d = decodeVrrp(b, V6);
  assert.ok(d.ok && d.packet.authData === undefined);
});

test('check: an advert for another VRID is unknown-vrid', () => {
  assert.equal(checkAdvert(packet({ ...v2, vrid: 52 }), expect2), 'unknown-vrid');
});
test('check: TTL other than 255 is bad-ttl (RFC 3768 §7.1 MUST)', () => {
  assert.equal(checkAdvert(packet(v2), { ...expect2, ttl: 254 }), 'bad-ttl');
});
test('check: unicast peers are not held to TTL 255, but strict mode is', () => {
  const unicast = { peers: [{ address: '192.0.2.11' }], checkSrc: false };
  assert.equal(checkAdvert(packet(v2), { ...expect2, ttl: 64, unicast }), null);
  assert.equal(checkAdvert(packet(v2), { ...expect2, ttl: 64, unicast, strict: true }), 'bad-ttl');
});
test('check: unicast_peer min_ttl/max_ttl bound the TTL (bad-ttl)', () => {
  const unicast = { peers: [{ address: '192.0.2.11', minTtl: 250, maxTtl: 255 }], checkSrc: true };
  assert.equal(checkAdvert(packet(v2), { ...expect2, ttl: 249, unicast, src: '192.0.2.11' }), 'bad-ttl');
  assert.equal(checkAdvert(packet(v2), { ...expect2, ttl: 250, unicast, src: '192.0.2.11' }), null);
});
test('check: a v3 advert on a v2 instance is bad-version', () => {
  assert.equal(checkAdvert(packet(v3), expect2), 'bad-version');
});
test('check: auth type above 2 is bad-auth-type', () => {
  assert.equal(checkAdvert({ ...packet(v2), authType: 3 }, expect2), 'bad-auth-type');
});
test('check: auth type differing from ours is auth-type-mismatch', () => {
  assert.equal(checkAdvert(packet({ ...v2, authType: 0 }), expect2), 'auth-type-mismatch');
});
test('check: wrong auth_pass is auth-mismatch; only the first 8 characters count', () => {
  assert.equal(checkAdvert(packet({ ...v2, authPass: 'secret2' }), expect2), 'auth-mismatch');
  assert.equal(checkAdvert(packet({ ...v2, authPass: 'secret1-and-more' }), { ...expect2, authPass: 'secret1-' }), null);
});
test('check: v2 advert_int differing from ours is interval-mismatch; v3 follows the master', () => {
  assert.equal(checkAdvert(packet({ ...v2, adverInt: 2 }), expect2), 'interval-mismatch');
  assert.equal(checkAdvert(packet({ ...v3, maxAdverIntCs: 200 }), { ...expect2, version: 3, authType: 0 }), null);
});
test('check: a different number of addresses is bad-addr-count', () => {
  assert.equal(checkAdvert(packet({ ...v2, addresses: ['192.0.2.100', '192.0.2.101'] }), expect2), 'bad-addr-count');
});
test('check: strict mode rejects an advert with no addresses (RFC 5798 §5.2.6 minimum 1)', () => {
  const e = { ...expect2, addresses: [] };
  assert.equal(checkAdvert(packet({ ...v2, addresses: [] }), e), null);
  assert.equal(checkAdvert(packet({ ...v2, addresses: [] }), { ...e, strict: true }), 'bad-addr-count');
});
test('check: a VIP missing from the advert is addr-mismatch (keepalived drops it even in v3)', () => {
  const p = packet({ ...v3, addresses: ['192.0.2.101'] });
  const e = { ...expect2, version: 3 as const, authType: 0 };
  assert.equal(checkAdvert(p, e), 'addr-mismatch');
  assert.equal(checkAdvert({ ...p, priority: 255 }, e), 'addr-mismatch');
  // RFC 5798 §7.1 lets the address owner through when asked for
  assert.equal(checkAdvert({ ...p, priority: 255 }, { ...e, rfc5798OwnerAccept: true }), 'addr-mismatch-accepted');
});
test('vrrp_skip_check_adv_addr: addresses are not checked for adverts from the current master in BACKUP', () => {
  const p = packet({ ...v2, addresses: ['192.0.2.101', '192.0.2.102'] });
  const skip = skipAddrCheck({ skipCheckAdvAddr: true, state: 'BACKUP', src: '192.0.2.11', masterSrc: '192.0.2.11' });
  assert.equal(skip, true);
  assert.equal(checkAdvert(p, { ...expect2, skipCheckAdvAddr: skip }), null);
  assert.equal(skipAddrCheck({ skipCheckAdvAddr: true, state: 'BACKUP', src: '192.0.2.12', masterSrc: '192.0.2.11' }), false);
  assert.equal(skipAddrCheck({ skipCheckAdvAddr: true, state: 'MASTER', src: '192.0.2.11', masterSrc: '192.0.2.11' }), false);
  assert.equal(skipAddrCheck({ skipCheckAdvAddr: false, state: 'BACKUP', src: '192.0.2.11', masterSrc: '192.0.2.11' }), false);
});
test('check: IPv6 addresses compare by value, not by text', () => {
  const p = packet({ ...v3, addresses: ['2001:db8::100'] }, V6);
  assert.equal(checkAdvert(p, { ...expect2, version: 3, family: 6, authType: 0, addresses: ['2001:0db8:0::0100'] }), null);
});
test('check_unicast_src: a source that is not a unicast peer is bad-src', () => {
  const unicast = { peers: [{ address: '192.0.2.12' }], checkSrc: true };
  assert.equal(checkAdvert(packet(v2), { ...expect2, unicast, src: '192.0.2.13' }), 'bad-src');
  assert.equal(checkAdvert(packet(v2), { ...expect2, unicast, src: '192.0.2.12' }), null);
});
test('check: a multicast advert on a unicast instance (or vice versa) is bad-dst', () => {
  const unicast = { peers: [{ address: '192.0.2.12' }], checkSrc: false };
  assert.equal(checkAdvert(packet(v2), { ...expect2, unicast, dst: '224.0.0.18' }), 'bad-dst');
  assert.equal(checkAdvert(packet(v2), { ...expect2, dst: '192.0.2.11' }), 'bad-dst');
  assert.equal(checkAdvert(packet(v2), { ...expect2, dst: '224.0.0.18' }), null);
});

test('IPv4: too-short, bad-version, bad-length, bad-checksum', () => {
  const ok = encodeIpv4({ tos: 0xc0, id: 1, ttl: 255, protocol: 112, src: '192.0.2.11', dst: '224.0.0.18' }, Buffer.alloc(12));
  assert.deepEqual(decodeIpv4(ok.subarray(0, 19)), { ok: false, reason: 'too-short' });
  const v = Buffer.from(ok); v[0] = 0x65;
  assert.deepEqual(decodeIpv4(v), { ok: false, reason: 'bad-version' });
  assert.deepEqual(decodeIpv4(ok.subarray(0, 31)), { ok: false, reason: 'bad-length' });
  const c = Buffer.from(ok); c[8] = 254;
  assert.deepEqual(decodeIpv4(c), { ok: false, reason: 'bad-checksum' });
  // Ethernet padding after Total Length is not payload
  const padded = decodeIpv4(Buffer.concat([ok, Buffer.alloc(14)]));
  assert.ok(padded.ok && padded.payload.length === 12);
});
test('IPv6: too-short, bad-version, bad-length', () => {
  assert.deepEqual(decodeIpv6(Buffer.alloc(39)), { ok: false, reason: 'too-short' });
  assert.deepEqual(decodeIpv6(Buffer.alloc(40)), { ok: false, reason: 'bad-version' });
  const b = Buffer.alloc(40); b[0] = 0x60; b[5] = 1;
  assert.deepEqual(decodeIpv6(b), { ok: false, reason: 'bad-length' });
});
test('datagram: an IP protocol other than VRRP/AH, or AH not wrapping VRRP, is bad-type', () => {
  const udp = encodeIpv4({ tos: 0, id: 1, ttl: 255, protocol: 17, src: '192.0.2.11', dst: '224.0.0.18' }, Buffer.alloc(8));
  assert.equal((decodeVrrpDatagram(udp) as { reason: string }).reason, 'bad-type');
});
test('AH: a wrong auth_pass, a forged SPI or a replayed sequence number is auth-mismatch', () => {
  const pkt = encodeVrrpDatagram({ ...v2, authType: 2 }, { src: '192.0.2.11', id: 1 }, { ah: { seq: 5, authPass: 'secret1', unicast: false } });
  assert.deepEqual(verifyAh(pkt, { authPass: 'secret1', unicast: false, lastSeq: 4 }), { ok: true, seq: 5 });
  assert.equal((verifyAh(pkt, { authPass: 'secret9', unicast: false }) as { reason: string }).reason, 'auth-mismatch');
  assert.equal((verifyAh(pkt, { authPass: 'secret1', unicast: false, lastSeq: 5 }) as { reason: string }).reason, 'auth-mismatch');
  const forged = Buffer.from(pkt); forged[23] ^= 1; // SPI byte
  assert.equal((verifyAh(forged, { authPass: 'secret1', unicast: false }) as { detail: string }).detail, 'ICV');
  const nh = Buffer.from(pkt); nh[20] = 17;
  assert.equal((verifyAh(nh, { authPass: 'secret1', unicast: false }) as { reason: string }).reason, 'bad-type');
});
test('encode: out-of-range values are refused with a coded error', () => {
  assert.throws(() => encodeVrrp({ ...v2, vrid: 0 }, V4), { code: 'E_RANGE' });
  assert.throws(() => encodeVrrp({ ...v3, maxAdverIntCs: 4096 }, V4), { code: 'E_RANGE' });
  assert.throws(() => encodeVrrp({ ...v2, adverInt: 0.5 }, V4), { code: 'E_RANGE' });
  assert.throws(() => encodeVrrp({ ...v3, addresses: ['2001:db8::1'] }, V4), { code: 'E_ADDR' });
});
