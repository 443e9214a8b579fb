import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  arpInfo,
  fromHex,
  isArp,
  isEchoRequest,
  isGratuitousArp,
  isNeighborAdvert,
  isVrrp,
  isVrrpAdvert,
  neighborAdvertInfo,
  parseHexFrames,
  parsePcap,
  toHex,
  vrrpInfo,
  writePcap,
} from '../helpers/pcap';

// Complete frames from the keepalived 2.2.7 reference captures (keepalived-wire-facts.md).
const V2_ADVERT = fromHex(
  '01 00 5e 00 00 12 02 00 c0 00 02 0b 08 00 45 c0 00 28 00 01 00 00 ff 70 18 87 c0 00 02 0b e0 00 00 12 ' +
    '21 33 64 01 01 01 4a 19 c0 00 02 64 73 65 63 72 65 74 31 00',
);
const GARP = fromHex(
  'ff ff ff ff ff ff 02 00 c0 00 02 0b 08 06 00 01 08 00 06 04 00 01 02 00 c0 00 02 0b c0 00 02 64 ff ff ff ff ff ff c0 00 02 64',
);
const V3_V6_ADVERT = fromHex(
  '33 33 00 00 00 12 02 00 c0 00 02 0b 86 dd 6c 09 b4 d0 00 18 70 ff fe 80 00 00 00 00 00 00 00 00 c0 ff fe 00 02 0b ' +
    'ff 02 00 00 00 00 00 00 00 00 00 00 00 00 00 12 31 33 64 01 00 64 7c 84 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 01 00',
);
const UNSOLICITED_NA = fromHex(
  '33 33 00 00 00 01 02 00 c0 00 02 0b 86 dd 60 00 00 00 00 20 3a ff 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 01 00 ' +
    'ff 02 00 00 00 00 00 00 00 00 00 00 00 00 00 01 88 00 35 22 20 00 00 00 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 ' +
    '01 00 02 01 02 00 c0 00 02 0b',
);

/** A pcap built byte by byte (not with writePcap), so the reader is checked against the format itself. */
function handMadePcap(littleEndian: boolean, nanos: boolean, frames: Array<[number, number, Buffer]>): Buffer {
  const b = Buffer.alloc(24 + frames.reduce((n, [, , f]) => n + 16 + f.length, 0));
  const w32 = (v: number, o: number): number => (littleEndian ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  const w16 = (v: number, o: number): number => (littleEndian ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  w32(nanos ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(2, 4);
  w16(4, 6);
  w32(0, 8);
  w32(0, 12);
  w32(262144, 16);
  w32(1, 20);
  let o = 24;
  for (const [sec, frac, f] of frames) {
    w32(sec, o);
    w32(frac, o + 4);
    w32(f.length, o + 8);
    w32(f.length, o + 12);
    f.copy(b, o + 16);
    o += 16 + f.length;
  }
  return b;
}

for (const littleEndian of [true, false]) {
  for (const nanos of [false, true]) {
    const label = `${littleEndian ? 'little' : 'big'}-endian, ${nanos ? 'nanosecond' : 'microsecond'}`;
    test(`pcap reader: ${label} file yields frames and µs timestamps`, () => {
      const frac1 = nanos ? 123_456_789 : 123_456;
      const frac2 = nanos ? 999_999_999 : 999_999;
      const pcap = parsePcap(handMadePcap(littleEndian, nanos, [[1_700_000_000, frac1, V2_ADVERT], [1_700_000_001, frac2, GARP]]));
      assert.equal(pcap.littleEndian, littleEndian);
      assert.equal(pcap.nanoseconds, nanos);
      assert.equal(pcap.linktype, 1);
      assert.equal(pcap.truncated, false);
      assert.equal(pcap.frames.length, 2);
      assert.deepEqual(pcap.frames[0].frame, V2_ADVERT);
      assert.deepEqual(pcap.frames[1].frame, GARP);
      assert.equal(pcap.frames[0].tsUs, 1_700_000_000_000_000 + (nanos ? 123_456.789 : 123_456));
      assert.equal(pcap.frames[1].tsUs, 1_700_000_001_000_000 + (nanos ? 999_999.999 : 999_999));
    });
  }
}

test('pcap reader: a record cut short (capture still being written) is dropped and flagged', () => {
  const full = handMadePcap(true, false, [[1, 0, V2_ADVERT], [2, 0, GARP]]);
  const pcap = parsePcap(full.subarray(0, full.length - 5));
  assert.equal(pcap.frames.length, 1);
  assert.equal(pcap.truncated, true);
});

test('pcap reader: rejects an unknown magic (e.g. pcapng)', () => {
  const b = Buffer.alloc(28);
  b.writeUInt32LE(0x0a0d0d0a, 0);
  assert.throws(() => parsePcap(b), /unknown magic/);
});

test('pcap writer round-trips through the reader in every byte order and unit', () => {
  const frames = [
    { tsUs: 1_700_000_000_000_001, frame: V2_ADVERT },
    { tsUs: 1_700_000_000_500_000, frame: UNSOLICITED_NA },
  ];
  for (const littleEndian of [true, false]) {
    for (const nanoseconds of [true, false]) {
      const back = parsePcap(writePcap(frames, { littleEndian, nanoseconds }));
      assert.deepEqual(back.frames.map((f) => [f.tsUs, toHex(f.frame)]), frames.map((f) => [f.tsUs, toHex(f.frame)]));
    }
  }
});

test('classifier: IPv4 protocol 112 is a VRRP advertisement (v2, VRID 51, priority 100)', () => {
  assert.equal(isVrrp(V2_ADVERT), true);
  assert.equal(isVrrpAdvert(V2_ADVERT), true);
  const v = vrrpInfo(V2_ADVERT);
  assert.deepEqual(
    v && { version: v.version, vrid: v.vrid, priority: v.priority, family: v.family, src: v.src, dst: v.dst },
    { version: 2, vrid: 51, priority: 100, family: 4, src: '192.0.2.11', dst: '224.0.0.18' },
  );
  assert.equal(isArp(V2_ADVERT), false);
});

test('classifier: IPv6 next header 112 is a VRRP advertisement (v3 from the link-local)', () => {
  assert.equal(isVrrpAdvert(V3_V6_ADVERT), true);
  const v = vrrpInfo(V3_V6_ADVERT);
  assert.equal(v?.version, 3);
  assert.equal(v?.family, 6);
  assert.equal(v?.src, 'fe80::c0ff:fe00:20b');
  assert.equal(v?.dst, 'ff02::12');
  assert.equal(isNeighborAdvert(V3_V6_ADVERT), false);
});

test('classifier: gratuitous ARP for the VIP (sender IP == target IP)', () => {
  assert.equal(isArp(GARP), true);
  assert.equal(isGratuitousArp(GARP, '192.0.2.100'), true);
  assert.equal(isGratuitousArp(GARP, '192.0.2.101'), false);
  assert.equal(isVrrp(GARP), false);
  assert.deepEqual(arpInfo(GARP), {
    op: 1,
    senderMac: '02:00:c0:00:02:0b',
    senderIp: '192.0.2.100',
    targetMac: 'ff:ff:ff:ff:ff:ff',
    targetIp: '192.0.2.100',
  });
});

test('classifier: unsolicited neighbour advertisement R=0 S=0 O=1 with the target link-layer address', () => {
  assert.equal(isNeighborAdvert(UNSOLICITED_NA, '2001:db8::100'), true);
  assert.deepEqual(neighborAdvertInfo(UNSOLICITED_NA), {
    src: '2001:db8::100',
    dst: 'ff02::1',
    router: false,
    solicited: false,
    override: true,
    target: '2001:db8::100',
    tlla: '02:00:c0:00:02:0b',
  });
  assert.equal(isEchoRequest(UNSOLICITED_NA), false);
});

test('classifiers never throw on runts or garbage', () => {
  for (const f of [Buffer.alloc(0), Buffer.alloc(13), V2_ADVERT.subarray(0, 30), fromHex('ffff')]) {
    assert.equal(isVrrpAdvert(f), false);
    assert.equal(isArp(f), false);
    assert.equal(isNeighborAdvert(f), false);
  }
});

test('hex fixtures: comment lines are skipped, one frame per line', () => {
  const frames = parseHexFrames(`# keepalived advert\n${toHex(V2_ADVERT)}\n\n# garp\n${toHex(GARP)}\n`);
  assert.deepEqual(frames, [V2_ADVERT, GARP]);
});
