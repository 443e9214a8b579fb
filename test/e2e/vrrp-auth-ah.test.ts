/**
 * keepalived.conf(5) authentication { auth_type AH } (VRRPv2, IPv4): adverts carry an IPsec AH
 * header (IP protocol 51, HMAC-MD5-96 keyed by auth_pass) and keepalived 2.2.7 accepts only those.
 * Our node and the real keepalived fail over both ways; a third host's forged adverts (wrong ICV,
 * a replayed sequence number, no AH at all) are dropped and counted while the MASTER stays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withLab, type Host } from '../helpers/lab';
import { startKeepalived, startKeepalivedTs, vrrpConfig, type DaemonHandle } from '../helpers/keepalived';
import { dumpLogs } from '../helpers/e2e';
import { dropsByReason, dumpState, instanceOf, until } from '../helpers/bench-daemon';
import { ipv4 } from '../helpers/pcap';
import { encodeVrrpDatagram } from '../../src/protocol/datagram';
import { decodeAh } from '../../src/protocol/ah';

const VIP = '192.0.2.100';
const AH = ['authentication {', '  auth_type AH', '  auth_pass s3cr3tAH', '}'];
const cfg = (priority: number): string =>
  vrrpConfig({ state: 'BACKUP', priority, authPass: null, vips: [`${VIP}/24`], extraInstance: AH });

/** Sends whole IPv4 datagrams (hex, one per line) from `host` on eth0 with IP_HDRINCL. */
const SENDER = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 51)
s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b'eth0')
n = 0
for line in sys.stdin:
    line = line.strip()
    if not line: continue
    s.sendto(bytes.fromhex(line), ('224.0.0.18', 0)); n += 1
print(n)
`;

async function sendRaw(h: Host, datagrams: Buffer[]): Promise<void> {
  const r = await h.exec(['python3', '-c', SENDER], { input: datagrams.map((d) => d.toString('hex')).join('\n') + '\n', timeoutMs: 10_000 });
  assert.equal(r.code, 0, `raw sender: ${r.stderr}`);
  assert.equal(Number(r.stdout.trim()), datagrams.length);
}

test('auth_type AH: keepalived-ts and keepalived 2.2.7 fail over both ways; forged AH adverts are dropped and counted', { timeout: 90_000 }, async () => {
  await withLab({ hosts: 3 }, async (lab) => {
    const [h1, h2, h3] = lab.hosts as [Host, Host, Host];
    const cap = await lab.capture('ip proto 51 or ip proto 112');
    // AH forces initial state BACKUP (keepalived: "Initial state master is incompatible with AH"),
    // so ours starts alone and takes over after its master-down timer
    let ours = startKeepalivedTs(h1, cfg(100));
    let peer: DaemonHandle | undefined;
    try {
      await h1.waitForAddress(VIP, { timeoutMs: 10_000 });
      const peerStarted = Date.now();
      peer = startKeepalived(h2, cfg(90));
      await new Promise((r) => setTimeout(r, Math.max(0, peerStarted + 4500 - Date.now())));
      assert.equal(await h2.hasAddress(VIP), false, 'keepalived accepts our AH adverts and stays BACKUP');
      assert.ok(!peer.logs().some((l) => /Entering MASTER STATE|IPSEC-AH|AH header/.test(l)), 'keepalived complained or took over');

      // on the wire: IPv4 protocol 51, AH next header 112, SPI = source, sequence counting up
      const ours51 = cap.frames().map((f) => ({ f, ip: ipv4(f.frame) })).filter((x) => x.ip?.src === h1.ip4);
      assert.ok(ours51.length >= 3, 'adverts from ours');
      const seqs: number[] = [];
      for (const { f, ip } of ours51) {
        assert.equal(ip!.proto, 51, 'IP protocol');
        const ah = decodeAh(f.frame.subarray(ip!.payloadOffset));
        assert.ok(ah.ok);
        assert.equal(ah.header.nextHeader, 112);
        assert.equal(ah.header.spi, f.frame.readUInt32BE(ip!.payloadOffset - 8), 'SPI = source address');
        assert.equal(ah.payload[4], 2, 'VRRP auth type 2');
        seqs.push(ah.header.seq);
      }
      assert.deepEqual(seqs, seqs.map((_, i) => seqs[0]! + i), 'sequence numbers count up by one');

      // forged adverts from h3, each claiming priority 254: wrong key, replayed sequence, no AH
      const before = await dumpState(ours);
      const lastSeq = seqs[seqs.length - 1]!;
      const forged = (pass: string, seq: number): Buffer => encodeVrrpDatagram(
        { version: 2, vrid: 51, priority: 254, addresses: [VIP], adverInt: 1, authType: 2 },
        { src: h3.ip4, dst: '224.0.0.18', id: 1 },
        { ah: { seq, authPass: pass, unicast: false } },
      );
      await sendRaw(h3, [forged('wrongkey', 1_000_000), forged('wrongkey', 1_000_001)]);
      const noAh = encodeVrrpDatagram({ version: 2, vrid: 51, priority: 254, addresses: [VIP], adverInt: 1, authType: 2 }, { src: h3.ip4, dst: '224.0.0.18', id: 2 });
      await h3.exec(['python3', '-c', SENDER.replace('SOCK_RAW, 51', 'SOCK_RAW, 112')], { input: noAh.toString('hex') + '\n' });
      const after = await until('ours counted 3 drops', async () => {
        const s = await dumpState(ours);
        const d = dropsByReason(s);
        const b = dropsByReason(before);
        return (d['auth-mismatch'] ?? 0) - (b['auth-mismatch'] ?? 0) >= 2 && (d['auth-type-mismatch'] ?? 0) - (b['auth-type-mismatch'] ?? 0) >= 1 ? s : null;
      }, 5000);
      assert.equal(dropsByReason(after)['auth-mismatch']! - (dropsByReason(before)['auth-mismatch'] ?? 0), 2, 'wrong ICV dropped and counted');
      assert.equal(instanceOf(after, 'VI_1').state, 'MASTER', 'forged priority 254 did not move the MASTER');
      // a correctly keyed advert whose sequence number was already seen (h1's last one, replayed)
      const before2 = await dumpState(ours);
      await sendRaw(h3, [forged('s3cr3tAH', 1)]);
      await until('replay counted', async () => {
        const s = await dumpState(ours);
        return (dropsByReason(s)['auth-mismatch'] ?? 0) > (dropsByReason(before2)['auth-mismatch'] ?? 0) ? s : null;
      }, 5000);
      assert.ok(lastSeq > 1);
      assert.equal(await h1.hasAddress(VIP), true);
      assert.equal(await h2.hasAddress(VIP), false);

      // graceful stop: keepalived takes over (it accepted our priority 0 advert)
      await ours.stop();
      await h2.waitForAddress(VIP, { timeoutMs: 3000 });
      // back: ours (100) hears keepalived's AH adverts, preempts, and keepalived accepts ours
      ours = startKeepalivedTs(h1, cfg(100));
      await h1.waitForAddress(VIP, { timeoutMs: 10_000 });
      await h2.waitForAddress(VIP, { present: false, timeoutMs: 5000 });

      // and the other way once more: keepalived takes over from ours on kill -9
      await ours.kill9();
      await h2.waitForAddress(VIP, { timeoutMs: 6000 });
    } catch (e) {
      dumpLogs([ours, peer]);
      throw e;
    } finally {
      await ours.stop().catch(() => undefined);
      await peer?.stop().catch(() => undefined);
      await cap.stop().catch(() => undefined);
    }
  });
});
