/**
 * VRRP sockets on the wire: what one namespace sends, a peer namespace receives with TTL/hop
 * limit 255 and the right source (RFC 3768 §7.1, RFC 5798 §7.1), and the IPv4 frame is byte for
 * byte the frame keepalived 2.2.7 sends (reference/keepalived-wire-facts.md).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toHex } from '../helpers/pcap';
import { withLab } from '../helpers/lab';
import { hex, runIo, spawnIo } from '../helpers/io-run';

// keepalived 2.2.7 first adverts (v2-multicast / v2-unicast / v3-ipv6-multicast)
const V2_PAYLOAD = hex('21 33 64 01 01 01 4a 19 c0 00 02 64 73 65 63 72 65 74 31 00');
const V2_MCAST_FRAME = hex(`01 00 5e 00 00 12 02 00 c0 00 02 0b 08 00
  45 c0 00 28 00 01 00 00 ff 70 18 87 c0 00 02 0b e0 00 00 12 ${V2_PAYLOAD}`);
const V2_UNICAST_FRAME = hex(`02 00 c0 00 02 0c 02 00 c0 00 02 0b 08 00
  45 c0 00 28 00 01 00 00 ff 70 36 8d c0 00 02 0b c0 00 02 0c ${V2_PAYLOAD}`);
const V3_V6_PAYLOAD = hex('31 33 64 01 00 64 7c 84 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 01 00');
// the same advert with its checksum zeroed: the kernel must fill it in (IPV6_CHECKSUM 6)
const V3_V6_UNSUMMED = V3_V6_PAYLOAD.slice(0, 12) + '0000' + V3_V6_PAYLOAD.slice(16);

test('IPv4 multicast advert: received by the peer with TTL 255 and the sender as source; the frame equals keepalived\'s', async (t) => {
  await withLab({ hosts: 2, signal: t.signal, timeoutMs: 40_000 }, async (lab) => {
    const [h1, h2] = lab.hosts as [typeof lab.hosts[0], typeof lab.hosts[0]];
    const cap = await lab.capture('ip proto 112');
    const rx = await spawnIo(h2, { op: 'listen', socket: { family: 4, ifname: 'eth0' } });
    try {
      const sent = await runIo(h1, { op: 'send', socket: { family: 4, ifname: 'eth0' }, payloadHex: V2_PAYLOAD, count: 3, intervalMs: 30 });
      assert.equal(sent.src, '192.0.2.11', 'default source is the interface primary address');
      const got = await rx.waitFor((l) => l.advert !== undefined);
      assert.deepEqual(got.advert, { family: 4, src: '192.0.2.11', dst: '224.0.0.18', ttl: 255, payload: V2_PAYLOAD, ifname: 'eth0' });
      const frames = await cap.waitFor((f) => f.length >= 3);
      assert.equal(toHex(frames[0]!.frame).replace(/\s/g, ''), V2_MCAST_FRAME, 'first advert frame = keepalived 2.2.7 capture');
      // IPv4 id increments per advert like keepalived's (1, 2, 3); DF stays clear
      assert.deepEqual(frames.slice(0, 3).map((f) => f.frame.readUInt16BE(18)), [1, 2, 3]);
      assert.ok(frames.every((f) => (f.frame.readUInt16BE(20) & 0x4000) === 0));
    } finally {
      await rx.stop();
      await cap.stop();
    }
  });
});

test('IPv4 unicast_peer advert: sent to the peer address only, received with TTL 255; the frame equals keepalived\'s', async (t) => {
  await withLab({ hosts: 3, signal: t.signal, timeoutMs: 40_000 }, async (lab) => {
    const [h1, h2, h3] = lab.hosts as [typeof lab.hosts[0], typeof lab.hosts[0], typeof lab.hosts[0]];
    const rx = await spawnIo(h2, { op: 'listen', socket: { family: 4, ifname: 'eth0', unicastPeers: ['192.0.2.11'] } });
    const bystander = await spawnIo(h3, { op: 'listen', socket: { family: 4, ifname: 'eth0' } });
    // resolve the peer's MAC first so the first captured advert is not queued behind ARP
    await h1.exec(['ping', '-c', '1', '-W', '2', '192.0.2.12'], { check: true });
    const cap = await lab.capture('ip proto 112');
    try {
      await runIo(h1, {
        op: 'send',
        socket: { family: 4, ifname: 'eth0', unicastSrc: '192.0.2.11', unicastPeers: ['192.0.2.12'] },
        payloadHex: V2_PAYLOAD,
      });
      const got = await rx.waitFor((l) => l.advert !== undefined);
      assert.deepEqual(got.advert, { family: 4, src: '192.0.2.11', dst: '192.0.2.12', ttl: 255, payload: V2_PAYLOAD, ifname: 'eth0' });
      const frames = await cap.waitFor((f) => f.length >= 1);
      assert.equal(toHex(frames[0]!.frame).replace(/\s/g, ''), V2_UNICAST_FRAME);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(bystander.lines().filter((l) => l.advert).length, 0, 'a multicast listener does not see unicast adverts to someone else');
    } finally {
      await rx.stop();
      await bystander.stop();
      await cap.stop();
    }
  });
});

test('IPv6 multicast advert: received from the sender\'s link-local address with hop limit 255; the kernel fills the VRRP checksum', async (t) => {
  await withLab({ hosts: 2, signal: t.signal, timeoutMs: 40_000 }, async (lab) => {
    const [h1, h2] = lab.hosts as [typeof lab.hosts[0], typeof lab.hosts[0]];
    const cap = await lab.capture('ip6 proto 112');
    const rx = await spawnIo(h2, { op: 'listen', socket: { family: 6, ifname: 'eth0' } });
    try {
      await runIo(h1, { op: 'send', socket: { family: 6, ifname: 'eth0' }, payloadHex: V3_V6_UNSUMMED });
      const got = await rx.waitFor((l) => l.advert !== undefined);
      assert.deepEqual(got.advert, {
        family: 6,
        src: 'fe80::c0ff:fe00:20b',
        dst: 'ff02::12',
        ttl: 255,
        payload: V3_V6_PAYLOAD, // checksum 0x7c84, as keepalived computed it
        ifname: 'eth0',
      });
      const [f] = await cap.waitFor((fs) => fs.length >= 1);
      const d = f!.frame;
      assert.equal(d.subarray(0, 14).toString('hex'), hex('33 33 00 00 00 12 02 00 c0 00 02 0b 86 dd'));
      assert.equal((d.readUInt32BE(14) >>> 20) & 0xff, 0xc0, 'traffic class 0xc0');
      assert.equal(d[20], 112, 'next header VRRP');
      assert.equal(d[21], 255, 'hop limit 255');
      assert.equal(d.subarray(54).toString('hex'), V3_V6_PAYLOAD);
    } finally {
      await rx.stop();
      await cap.stop();
    }
  });
});

test('IPv6 unicast_peer advert: received with hop limit 255 and the configured source', async (t) => {
  await withLab({ hosts: 2, signal: t.signal, timeoutMs: 40_000 }, async (lab) => {
    const [h1, h2] = lab.hosts as [typeof lab.hosts[0], typeof lab.hosts[0]];
    const rx = await spawnIo(h2, { op: 'listen', socket: { family: 6, ifname: 'eth0', unicastPeers: ['2001:db8::11'] } });
    try {
      await runIo(h1, {
        op: 'send',
        socket: { family: 6, ifname: 'eth0', unicastSrc: '2001:db8::11', unicastPeers: ['2001:db8::12'] },
        payloadHex: V3_V6_UNSUMMED,
      });
      const got = await rx.waitFor((l) => l.advert !== undefined);
      assert.equal(got.advert!.src, '2001:db8::11');
      assert.equal(got.advert!.dst, '2001:db8::12');
      assert.equal(got.advert!.ttl, 255);
    } finally {
      await rx.stop();
    }
  });
});
