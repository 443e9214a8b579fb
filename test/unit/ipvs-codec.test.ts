/**
 * IPVS generic-netlink codec against real captures. Source of every vector: ipvsadm 1.31 (Debian
 * bookworm) run inside ../shared/tools/vm-run (Debian kernel 6.1.0-57-amd64, IPVS 1.2.1) under
 * `strace -f -e trace=sendmsg,recvmsg -e write=all -e read=all ipvsadm ARGS`; each hex string is
 * the netlink message after its 16-byte nlmsghdr (genetlink header: cmd, version 1, 2 reserved
 * bytes; then the attributes), for the ipvsadm command named in the test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  IpvsCmd, SvcFlag, encodeService, encodeServiceKey, encodeDest, encodeDaemonStart, encodeDaemonStop, encodeTimeouts,
  decodeService, decodeDest, decodeDaemon, decodeTimeouts, decodeInfo, serviceKeyText, type IpvsService, type IpvsDest,
} from '../../src/protocol';

const hex = (s: string) => Buffer.from(s.replace(/[^0-9a-f]/gi, ''), 'hex');
/** The captured genetlink message: check its command byte and return its attributes. */
function attrsOf(captured: string, cmd: number): Buffer {
  const b = hex(captured);
  assert.equal(b[0], cmd, 'genetlink command');
  assert.equal(b[1], 1, 'genetlink version');
  return b.subarray(4);
}
/** ipvsadm's service as it sends it with a destination command: no scheduler, no flags. */
const keyOnly = (s: Partial<IpvsService> & Pick<IpvsService, 'family'>): IpvsService =>
  ({ scheduler: '', flags: 0, timeout: 0, netmask: s.family === 4 ? 0xffffffff : 128, ...s }) as IpvsService;
/** ipvsadm sends all three tunnel attributes (zero) with every destination. */
const tunZero = { tunType: 'ipip', tunPort: 0, tunFlags: 0 } as const;

test('NEW_SERVICE: ipvsadm -A -t 192.0.2.10:80 -s wrr -p 300 -M 255.255.255.0 (persistence with granularity)', () => {
  const cap = '01010000540001800600010002000000060002000600000014000300c000020a000000000000000000000000060004000050000008000600777272000c00070001000000ffffffff080008002c01000008000900ffffff00';
  const svc: IpvsService = { family: 4, protocol: 'TCP', address: '192.0.2.10', port: 80, scheduler: 'wrr', flags: SvcFlag.PERSISTENT, timeout: 300, netmask: 0xffffff00 };
  assert.deepEqual(encodeService(svc), attrsOf(cap, IpvsCmd.NEW_SERVICE));
  assert.deepEqual(decodeService(attrsOf(cap, IpvsCmd.NEW_SERVICE)), { ok: true, value: svc });
});

test('NEW_SERVICE: ipvsadm -A -u [2001:db8::10]:53 -s rr -o (IPv6, UDP, one-packet scheduling)', () => {
  const cap = '0101000054000180060001000a00000006000200110000001400030020010db8000000000000000000000010060004000035000007000600727200000c00070004000000ffffffff08000800000000000800090080000000';
  const svc: IpvsService = { family: 6, protocol: 'UDP', address: '2001:db8::10', port: 53, scheduler: 'rr', flags: SvcFlag.ONEPACKET, timeout: 0, netmask: 128 };
  assert.deepEqual(encodeService(svc), attrsOf(cap, IpvsCmd.NEW_SERVICE));
});

test('NEW_SERVICE: ipvsadm -A --sctp-service 192.0.2.11:3868 -s sh -b sh-port,sh-fallback (SCTP, scheduler flags)', () => {
  const cap = '01010000540001800600010002000000060002008400000014000300c000020b000000000000000000000000060004000f1c000007000600736800000c00070018000000ffffffff080008000000000008000900ffffffff';
  const svc: IpvsService = { family: 4, protocol: 'SCTP', address: '192.0.2.11', port: 3868, scheduler: 'sh', flags: SvcFlag.SCHED1 | SvcFlag.SCHED2, timeout: 0, netmask: 0xffffffff };
  assert.deepEqual(encodeService(svc), attrsOf(cap, IpvsCmd.NEW_SERVICE));
});

test('NEW_SERVICE: ipvsadm -A -f 7 -s mh -b mh-port (firewall mark)', () => {
  const cap = '010100003800018006000100020000000800050007000000070006006d6800000c00070010000000ffffffff080008000000000008000900ffffffff';
  const svc: IpvsService = { family: 4, fwmark: 7, scheduler: 'mh', flags: SvcFlag.SCHED2, timeout: 0, netmask: 0xffffffff };
  assert.deepEqual(encodeService(svc), attrsOf(cap, IpvsCmd.NEW_SERVICE));
  assert.deepEqual(decodeService(attrsOf(cap, IpvsCmd.NEW_SERVICE)), { ok: true, value: svc });
});

test('SET_SERVICE and DEL_SERVICE: ipvsadm -E -t 192.0.2.10:80 -s rr, ipvsadm -D -u [2001:db8::10]:53', () => {
  const edit = '02010000540001800600010002000000060002000600000014000300c000020a000000000000000000000000060004000050000007000600727200000c00070000000000ffffffff080008000000000008000900ffffffff';
  assert.deepEqual(encodeService({ family: 4, protocol: 'TCP', address: '192.0.2.10', port: 80, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff }), attrsOf(edit, IpvsCmd.SET_SERVICE));
  const del = '0301000054000180060001000a00000006000200110000001400030020010db8000000000000000000000010060004000035000005000600000000000c00070000000000ffffffff08000800000000000800090080000000';
  assert.deepEqual(encodeService(keyOnly({ family: 6, protocol: 'UDP', address: '2001:db8::10', port: 53 })), attrsOf(del, IpvsCmd.DEL_SERVICE));
});

const tcp80 = keyOnly({ family: 4, protocol: 'TCP', address: '192.0.2.10', port: 80 });

test('NEW_DEST: ipvsadm -a -t 192.0.2.10:80 -r 198.51.100.2:8080 -m -w 3 -x 100 -y 10 (NAT, thresholds)', () => {
  const cap = '05010000540001800600010002000000060002000600000014000300c000020a000000000000000000000000060004000050000005000600000000000c00070000000000ffffffff080008000000000008000900ffffffff6000028006000b000200000014000100c6336402000000000000000000000000060002001f9000000800030000000000080004000300000005000d000000000006000e000000000006000f00000000000800050064000000080006000a000000';
  const d: IpvsDest = { address: '198.51.100.2', family: 4, port: 8080, fwd: 'masq', weight: 3, uThreshold: 100, lThreshold: 10, ...tunZero };
  assert.deepEqual(encodeDest(tcp80, d), attrsOf(cap, IpvsCmd.NEW_DEST));
});

test('NEW_DEST: DR (-g -w 0) and TUN (-i -w 1) destinations', () => {
  const dr = '05010000540001800600010002000000060002000600000014000300c000020a000000000000000000000000060004000050000005000600000000000c00070000000000ffffffff080008000000000008000900ffffffff6000028006000b000200000014000100c633640300000000000000000000000006000200005000000800030003000000080004000000000005000d000000000006000e000000000006000f000000000008000500000000000800060000000000';
  assert.deepEqual(encodeDest(tcp80, { address: '198.51.100.3', family: 4, port: 80, fwd: 'route', weight: 0, uThreshold: 0, lThreshold: 0, ...tunZero }), attrsOf(dr, IpvsCmd.NEW_DEST));
  const tun = '05010000540001800600010002000000060002000600000014000300c000020a000000000000000000000000060004000050000005000600000000000c00070000000000ffffffff080008000000000008000900ffffffff6000028006000b000200000014000100c633640400000000000000000000000006000200005000000800030002000000080004000100000005000d000000000006000e000000000006000f000000000008000500000000000800060000000000';
  assert.deepEqual(encodeDest(tcp80, { address: '198.51.100.4', family: 4, port: 80, fwd: 'tunnel', weight: 1, uThreshold: 0, lThreshold: 0, ...tunZero }), attrsOf(tun, IpvsCmd.NEW_DEST));
});

test('NEW_DEST: IPv6 destination and a fwmark service destination (port 0)', () => {
  const v6 = '0501000054000180060001000a00000006000200110000001400030020010db8000000000000000000000010060004000035000005000600000000000c00070000000000ffffffff080008000000000008000900800000006000028006000b000a0000001400010020010db800000000000000000000000206000200003500000800030000000000080004000200000005000d000000000006000e000000000006000f000000000008000500000000000800060000000000';
  assert.deepEqual(
    encodeDest(keyOnly({ family: 6, protocol: 'UDP', address: '2001:db8::10', port: 53 }), { address: '2001:db8::2', family: 6, port: 53, fwd: 'masq', weight: 2, uThreshold: 0, lThreshold: 0, ...tunZero }),
    attrsOf(v6, IpvsCmd.NEW_DEST));
  const fwm = '05010000380001800600010002000000080005000700000005000600000000000c00070000000000ffffffff080008000000000008000900ffffffff6000028006000b000200000014000100c633640500000000000000000000000006000200000000000800030003000000080004000400000005000d000000000006000e000000000006000f000000000008000500000000000800060000000000';
  assert.deepEqual(encodeDest(keyOnly({ family: 4, fwmark: 7 }), { address: '198.51.100.5', family: 4, port: 0, fwd: 'route', weight: 4, uThreshold: 0, lThreshold: 0, ...tunZero }), attrsOf(fwm, IpvsCmd.NEW_DEST));
});

test('SET_DEST (ipvsadm -e ... -w 5) and DEL_DEST (ipvsadm -d) carry the same attributes', () => {
  const set = '06010000540001800600010002000000060002000600000014000300c000020a000000000000000000000000060004000050000005000600000000000c00070000000000ffffffff080008000000000008000900ffffffff6000028006000b000200000014000100c6336402000000000000000000000000060002001f9000000800030000000000080004000500000005000d000000000006000e000000000006000f000000000008000500000000000800060000000000';
  assert.deepEqual(encodeDest(tcp80, { address: '198.51.100.2', family: 4, port: 8080, fwd: 'masq', weight: 5, uThreshold: 0, lThreshold: 0, ...tunZero }), attrsOf(set, IpvsCmd.SET_DEST));
  const del = '07010000540001800600010002000000060002000600000014000300c000020a000000000000000000000000060004000050000005000600000000000c00070000000000ffffffff080008000000000008000900ffffffff6000028006000b000200000014000100c633640400000000000000000000000006000200005000000800030003000000080004000100000005000d000000000006000e000000000006000f000000000008000500000000000800060000000000';
  // ipvsadm -d sends its default forwarding method (DR) and weight 1: the kernel reads only address and port
  assert.deepEqual(encodeDest(tcp80, { address: '198.51.100.4', family: 4, port: 80, fwd: 'route', weight: 1, uThreshold: 0, lThreshold: 0, ...tunZero }), attrsOf(del, IpvsCmd.DEL_DEST));
});

test('GET_DEST dump request names the service by its key only (ipvsadm -Ln)', () => {
  const tcp = '08010000300001800600010002000000060002000600000014000300c000020a0000000000000000000000000600040000500000';
  assert.deepEqual(encodeServiceKey({ family: 4, protocol: 'TCP', address: '192.0.2.10', port: 80 }), attrsOf(tcp, IpvsCmd.GET_DEST));
  const fwm = '080100001400018006000100020000000800050007000000';
  assert.deepEqual(encodeServiceKey({ family: 4, fwmark: 7 }), attrsOf(fwm, IpvsCmd.GET_DEST));
});

// Kernel replies to the GET_SERVICE dump of ipvsadm -Ln (stats attributes included, all zero).
const STATS = '5c000a000800010000000000080002000000000008000300000000000c00040000000000000000000c0005000000000000000000080006000000000008000700000000000800080000000000080009000000000008000a00000000007c000c000c00010000000000000000000c00020000000000000000000c00030000000000000000000c00040000000000000000000c00050000000000000000000c00060000000000000000000c00070000000000000000000c00080000000000000000000c00090000000000000000000c000a000000000000000000';

test('GET_SERVICE dump replies decode (kernel adds IP_VS_SVC_F_HASHED)', () => {
  const sctp = `010100002c0101000600010002000000060002008400000014000300c000020b000000000000000000000000060004000f1c000007000600736800000c0007001a000000ffffffff080008000000000008000900ffffffff${STATS}`;
  assert.deepEqual(decodeService(attrsOf(sctp, IpvsCmd.NEW_SERVICE)), { ok: true, value: { family: 4, protocol: 'SCTP', address: '192.0.2.11', port: 3868, scheduler: 'sh', flags: 0x1a, timeout: 0, netmask: 0xffffffff } });
  const udp6 = `010100002c010100060001000a00000006000200110000001400030020010db8000000000000000000000010060004000035000007000600727200000c00070006000000ffffffff08000800000000000800090080000000${STATS}`;
  assert.deepEqual(decodeService(attrsOf(udp6, IpvsCmd.NEW_SERVICE)), { ok: true, value: { family: 6, protocol: 'UDP', address: '2001:db8::10', port: 53, scheduler: 'rr', flags: SvcFlag.ONEPACKET | SvcFlag.HASHED, timeout: 0, netmask: 128 } });
  assert.equal(serviceKeyText({ family: 6, protocol: 'UDP', address: '2001:db8::10', port: 53 }), 'UDP [2001:db8::10]:53');
});

test('GET_DEST dump replies decode with connection counters', () => {
  const nat = `050100005001020014000100c6336402000000000000000000000000060002001f9000000800030000000000080004000500000005000d000000000006000e000000000006000f00000000000800050000000000080006000000000008000700000000000800080000000000080009000000000006000b0002000000${STATS}`;
  assert.deepEqual(decodeDest(attrsOf(nat, IpvsCmd.NEW_DEST), 4), { ok: true, value: { address: '198.51.100.2', family: 4, port: 8080, fwd: 'masq', weight: 5, uThreshold: 0, lThreshold: 0, activeConns: 0, inactConns: 0, persistConns: 0 } });
  const tun = `050100005001020014000100c633640400000000000000000000000006000200005000000800030002000000080004000100000005000d000000000006000e000000000006000f00000000000800050000000000080006000000000008000700000000000800080000000000080009000000000006000b0002000000${STATS}`;
  assert.deepEqual(decodeDest(attrsOf(tun, IpvsCmd.NEW_DEST), 4), { ok: true, value: { address: '198.51.100.4', family: 4, port: 80, fwd: 'tunnel', weight: 1, uThreshold: 0, lThreshold: 0, tunType: 'ipip', activeConns: 0, inactConns: 0, persistConns: 0 } });
  const v6 = `05010000500102001400010020010db800000000000000000000000206000200003500000800030000000000080004000200000005000d000000000006000e000000000006000f00000000000800050000000000080006000000000008000700000000000800080000000000080009000000000006000b000a000000${STATS}`;
  assert.deepEqual(decodeDest(attrsOf(v6, IpvsCmd.NEW_DEST), 4), { ok: true, value: { address: '2001:db8::2', family: 6, port: 53, fwd: 'masq', weight: 2, uThreshold: 0, lThreshold: 0, activeConns: 0, inactConns: 0, persistConns: 0 } });
});

test('timeouts: ipvsadm --set 900 120 300 and the GET_CONFIG reply of ipvsadm -L --timeout', () => {
  const set = '0c01000008000400840300000800050078000000080006002c010000';
  assert.deepEqual(encodeTimeouts({ tcp: 900, tcpFin: 120, udp: 300 }), attrsOf(set, IpvsCmd.SET_CONFIG));
  const reply = '0c01000008000400840300000800050078000000080006002c010000';
  assert.deepEqual(decodeTimeouts(attrsOf(reply, IpvsCmd.SET_CONFIG)), { ok: true, value: { tcp: 900, tcpFin: 120, udp: 300 } });
});

test('sync daemon: ipvsadm --start-daemon master --mcast-interface d0 --syncid 5, --stop-daemon master, -L --daemon', () => {
  const start = '090100001c000380080001000100000007000200643000000800030005000000';
  assert.deepEqual(encodeDaemonStart({ state: 'master', mcastIfn: 'd0', syncId: 5 }), attrsOf(start, IpvsCmd.NEW_DAEMON));
  const stop = '0a0100001c000380080001000100000005000200000000000800030000000000';
  assert.deepEqual(encodeDaemonStop({ state: 'master', mcastIfn: '', syncId: 0 }), attrsOf(stop, IpvsCmd.DEL_DAEMON));
  const reply = '090100003c00030008000100010000000700020064300000080003000500000006000400c00500000600070090220000050008000100000008000500e0000051';
  assert.deepEqual(decodeDaemon(attrsOf(reply, IpvsCmd.NEW_DAEMON)), { ok: true, value: { state: 'master', mcastIfn: 'd0', syncId: 5, syncMaxlen: 1472, mcastPort: 8848, mcastTtl: 1, mcastGroup: '224.0.0.81' } });
});

test('GET_INFO reply: IPVS 1.2.1 with a 4096-entry connection table', () => {
  const reply = '0e01000008000100010201000800020000100000';
  assert.deepEqual(decodeInfo(attrsOf(reply, IpvsCmd.SET_INFO)), { ok: true, value: { version: 0x010201, connTabSize: 4096 } });
});

test('decoders return a reason, never throw, on cut or foreign input', () => {
  const full = attrsOf('010100003800018006000100020000000800050007000000070006006d6800000c00070010000000ffffffff080008000000000008000900ffffffff', 1);
  for (let n = 0; n < full.length; n++) {
    const r = decodeService(full.subarray(0, n));
    assert.equal(r.ok, false, `cut at ${n}`);
  }
  assert.deepEqual(decodeDest(Buffer.alloc(0), 4), { ok: false, reason: 'no-dest' });
  assert.deepEqual(decodeDaemon(hex('0800040001000000')), { ok: false, reason: 'no-daemon' });
  // a service nest with an unknown address family
  assert.deepEqual(decodeService(hex('0c000180 06000100 07000000')), { ok: false, reason: 'bad-family' });
});
