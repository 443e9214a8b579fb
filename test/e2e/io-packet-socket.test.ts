/**
 * AF_PACKET frames through our addon (native/packet.cc): the gratuitous ARP and unsolicited NA a
 * new MASTER sends (keepalived.conf(5) garp_master_*; RFC 5798 §6.4.2) leave the interface exactly
 * as keepalived 2.2.7's do (reference/keepalived-wire-facts.md).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withLab } from '../helpers/lab';
import { childCmd, hex, parseLines, runIo } from '../helpers/io-run';

const REF_GARP = hex(
  'ff ff ff ff ff ff 02 00 c0 00 02 0b 08 06 00 01 08 00 06 04 00 01 02 00 c0 00 02 0b c0 00 02 64 ff ff ff ff ff ff c0 00 02 64',
);
const REF_NA = hex(`33 33 00 00 00 01 02 00 c0 00 02 0b 86 dd 60 00 00 00 00 20 3a ff 20 01 0d b8 00 00 00 00 00 00 00 00
  00 00 01 00 ff 02 00 00 00 00 00 00 00 00 00 00 00 00 00 01 88 00 35 22 20 00 00 00 20 01 0d b8 00 00 00 00 00 00 00 00 00
  00 01 00 02 01 02 00 c0 00 02 0b`);

test('gratuitous ARP for a virtual_ipaddress crosses the LAN byte for byte as keepalived sends it', async (t) => {
  await withLab({ hosts: 1, signal: t.signal, timeoutMs: 30_000 }, async (lab) => {
    const h1 = lab.hosts[0]!;
    const cap = await lab.capture('arp');
    try {
      const r = await runIo(h1, { op: 'garp', ifname: 'eth0', ip: '192.0.2.100' });
      assert.equal(r.mac, '02:00:c0:00:02:0b', 'packet socket reports the interface MAC');
      const frames = await cap.waitFor((f) => f.length >= 1);
      assert.equal(frames.length, 1);
      assert.equal(frames[0]!.frame.toString('hex'), REF_GARP);
    } finally {
      await cap.stop();
    }
  });
});

test('unsolicited neighbour advertisement for an IPv6 virtual_ipaddress crosses the LAN as keepalived sends it', async (t) => {
  await withLab({ hosts: 1, signal: t.signal, timeoutMs: 30_000 }, async (lab) => {
    const h1 = lab.hosts[0]!;
    const cap = await lab.capture('icmp6 and ip6[40] == 136');
    try {
      await runIo(h1, { op: 'na', ifname: 'eth0', ip: '2001:db8::100' });
      const frames = await cap.waitFor((f) => f.length >= 1);
      assert.equal(frames[0]!.frame.toString('hex'), REF_NA);
    } finally {
      await cap.stop();
    }
  });
});

test('opening a packet socket on a missing interface fails with E_IO_NO_INTERFACE', async (t) => {
  await withLab({ hosts: 1, signal: t.signal, timeoutMs: 30_000 }, async (lab) => {
    const r = await lab.hosts[0]!.exec(childCmd({ op: 'garp', ifname: 'nosuch0', ip: '192.0.2.100' }));
    assert.equal(parseLines(r.stdout).pop()?.error?.code, 'E_IO_NO_INTERFACE');
  });
});
