/**
 * Sends hand-made VRRP datagrams from a lab host: raw IPv4 protocol-112 datagrams to a multicast
 * group on eth0 with IP_HDRINCL, so the TTL is the test's to choose (the payload is the VRRP packet,
 * e.g. from src/protocol encodeVrrp).
 */
import assert from 'node:assert/strict';
import type { Host } from './lab';

/** Input: one `TTL HEX` line per datagram (HEX = the VRRP payload); prints how many it sent. */
const SENDER = `
import socket, struct, sys
src = socket.inet_aton(sys.argv[1]); dst = socket.inet_aton(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b'eth0')
n = 0
for line in sys.stdin:
    line = line.split()
    if not line: continue
    ttl = int(line[0]); body = bytes.fromhex(line[1]) if len(line) > 1 else b''
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0xc0, 20 + len(body), 0, 0, ttl, 112, 0, src, dst)
    s.sendto(hdr + body, (sys.argv[2], 0)); n += 1
print(n)
`;

export async function sendRawVrrp(host: Host, packets: { ttl: number; payload: Buffer }[], group = '224.0.0.18'): Promise<void> {
  const input = packets.map((p) => `${p.ttl} ${p.payload.toString('hex')}`).join('\n') + '\n';
  const r = await host.exec(['python3', '-c', SENDER, host.ip4, group], { input, timeoutMs: 10_000 });
  assert.equal(r.code, 0, `raw sender failed: ${r.stderr}`);
  assert.equal(Number(r.stdout.trim()), packets.length);
}
