/**
 * What the VRRP and AH sockets share: the `raw-socket` binding (a NAN addon: main thread only), the
 * Linux socket option numbers they set, the IPv4 socket as keepalived configures it, the parse of
 * what it receives, and a send that skips raw-socket's writable-poll queue when it can.
 */
import { decodeIpv4, ipToBuffer, VRRP_TOS, VRRP_TTL, type Ipv4Header } from '../protocol';
import { IoError, toIoError } from './errors';

export interface RawSocket {
  on(ev: 'message', cb: (buf: Buffer, source: string) => void): RawSocket;
  on(ev: 'error', cb: (e: Error) => void): RawSocket;
  on(ev: 'close', cb: () => void): RawSocket;
  setOption(level: number, option: number, value: Buffer | number, length?: number): void;
  send(buf: Buffer, offset: number, length: number, address: string, cb: (err: Error | null, bytes: number) => void): void;
  pauseRecv(): RawSocket;
  close(): void;
}
export interface RawSocketModule {
  createSocket(o: { protocol: number; addressFamily: number; bufferSize?: number }): RawSocket;
  AddressFamily: { IPv4: number; IPv6: number };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const raw = require('raw-socket') as RawSocketModule;

// Linux socket option numbers (<asm-generic/socket.h>, <linux/in.h>, <linux/in6.h>).
export const SOL_SOCKET = 1;
export const SO_RCVBUF = 8;
export const SO_BINDTODEVICE = 25;
export const IPPROTO_IP = 0;
export const IP_TOS = 1;
export const IP_HDRINCL = 3;
export const IP_MULTICAST_IF = 32;
export const IP_MULTICAST_TTL = 33;
export const IP_MULTICAST_LOOP = 34;
export const IP_ADD_MEMBERSHIP = 35;
export const IP_MULTICAST_ALL = 49;
export const IPPROTO_IPV6 = 41;
export const IPV6_CHECKSUM = 7;
export const IPV6_UNICAST_HOPS = 16;
export const IPV6_MULTICAST_IF = 17;
export const IPV6_MULTICAST_HOPS = 18;
export const IPV6_MULTICAST_LOOP = 19;
export const IPV6_MULTICAST_ALL = 29;
export const IPV6_PKTINFO = 50;
export const IPV6_TCLASS = 67;

function ipv4Bytes(addr: string): Buffer {
  const b = ipToBuffer(addr);
  if (b.length !== 4) throw new IoError('E_IO_ARG', `not an IPv4 address: ${addr}`);
  return b;
}

/** struct ip_mreqn { in_addr imr_multiaddr; in_addr imr_address; int imr_ifindex; } */
function ipMreqn(group: string, local: string, ifindex: number): Buffer {
  const b = Buffer.alloc(12);
  ipv4Bytes(group).copy(b, 0);
  ipv4Bytes(local).copy(b, 4);
  b.writeInt32LE(ifindex, 8);
  return b;
}

/** setsockopt, failing with IoError E_IO_SOCKET that names the option and the interface. */
export function setOpt(sock: RawSocket, ifname: string, level: number, opt: number, value: Buffer | number, name: string): void {
  try {
    if (typeof value === 'number') sock.setOption(level, opt, value);
    else sock.setOption(level, opt, value, value.length);
  } catch (e) {
    throw toIoError('E_IO_SOCKET', `setsockopt(${name}) on ${ifname}`, e);
  }
}

/** A raw socket of `protocol` bound to `ifname` (SO_BINDTODEVICE). Throws IoError E_IO_SOCKET. */
export function openRaw(protocol: number, family: 4 | 6, ifname: string): RawSocket {
  let sock: RawSocket;
  try {
    sock = raw.createSocket({ protocol, addressFamily: family === 4 ? raw.AddressFamily.IPv4 : raw.AddressFamily.IPv6, bufferSize: 65536 });
  } catch (e) {
    throw toIoError('E_IO_SOCKET', `socket(IPv${family}, SOCK_RAW, ${protocol})`, e);
  }
  try {
    const name = Buffer.concat([Buffer.from(ifname, 'utf8'), Buffer.alloc(1)]);
    setOpt(sock, ifname, SOL_SOCKET, SO_BINDTODEVICE, name, 'SO_BINDTODEVICE');
  } catch (e) {
    sock.close();
    throw e;
  }
  return sock;
}

/**
 * The IPv4 options keepalived 2.2.7 sets on its VRRP (112) and AH (51) sockets
 * (open_vrrp_send_socket / open_vrrp_read_socket): IP_HDRINCL (the header is src/protocol's),
 * IP_MULTICAST_ALL 0, IP_MULTICAST_LOOP 0, IP_TOS 0xc0 and IP_MULTICAST_TTL 255 (our header's
 * win under IP_HDRINCL; set anyway, as keepalived does), IP_MULTICAST_IF (struct ip_mreqn) from
 * `src`, and IP_ADD_MEMBERSHIP of `group` unless unicast peers are configured (group undefined).
 * Closes the socket when one fails.
 */
export function configureIpv4(sock: RawSocket, ifname: string, ifindex: number, src: string | undefined, group: string | undefined): void {
  try {
    setOpt(sock, ifname, IPPROTO_IP, IP_HDRINCL, 1, 'IP_HDRINCL');
    setOpt(sock, ifname, IPPROTO_IP, IP_MULTICAST_ALL, 0, 'IP_MULTICAST_ALL');
    setOpt(sock, ifname, IPPROTO_IP, IP_MULTICAST_LOOP, 0, 'IP_MULTICAST_LOOP');
    setOpt(sock, ifname, IPPROTO_IP, IP_TOS, VRRP_TOS, 'IP_TOS');
    setOpt(sock, ifname, IPPROTO_IP, IP_MULTICAST_TTL, VRRP_TTL, 'IP_MULTICAST_TTL');
    setOpt(sock, ifname, IPPROTO_IP, IP_MULTICAST_IF, ipMreqn('0.0.0.0', src ?? '0.0.0.0', ifindex), 'IP_MULTICAST_IF');
    if (group) setOpt(sock, ifname, IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreqn(group, '0.0.0.0', ifindex), 'IP_ADD_MEMBERSHIP');
  } catch (e) {
    sock.close();
    throw e;
  }
}

/**
 * A datagram from an IPv4 raw socket, if it carries `protocol`: its header, and a copy of the
 * whole datagram (raw-socket reuses one receive buffer) with the payload as a view into it.
 */
export function receivedIpv4(buf: Buffer, protocol: number): { header: Ipv4Header; datagram: Buffer; payload: Buffer } | null {
  const ip = decodeIpv4(buf);
  if (!ip.ok || ip.header.protocol !== protocol) return null;
  const datagram = Buffer.from(buf.subarray(0, ip.header.totalLength));
  return { header: ip.header, datagram, payload: datagram.subarray(ip.header.ihl * 4) };
}

/**
 * Sends one packet. raw-socket's send() queues it until libuv reports the socket writable: one
 * event-loop turn (~0.5-1 ms) after the VRRP actor decided. A raw socket is nearly always writable,
 * so send straight through raw-socket's native wrap (a synchronous sendto) when nothing is queued,
 * and fall back to the queue on any error (EAGAIN included). Failover is measured to the millisecond.
 * Rejects with IoError E_IO_SEND.
 */
export function rawSend(sock: RawSocket, pkt: Buffer, dst: string, stats: { txPackets: number; txErrors: number }, what: string): Promise<void> {
  const inner = sock as unknown as { wrap?: { send?: (b: Buffer, o: number, l: number, a: string, cb: (bytes: number) => void) => void }; requests?: unknown[] };
  if (inner.wrap?.send && (inner.requests?.length ?? 0) === 0) {
    try {
      let sent = -1;
      inner.wrap.send(pkt, 0, pkt.length, dst, (bytes) => {
        sent = bytes;
      });
      if (sent === pkt.length) {
        stats.txPackets++;
        return Promise.resolve();
      }
    } catch {
      /* fall back to the queue, which reports the error */
    }
  }
  return new Promise<void>((resolve, reject) => {
    sock.send(pkt, 0, pkt.length, dst, (err) => {
      if (err) {
        stats.txErrors++;
        reject(toIoError('E_IO_SEND', what, err));
      } else {
        stats.txPackets++;
        resolve();
      }
    });
  });
}
