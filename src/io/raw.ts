/**
 * What the VRRP and AH sockets share: the `raw-socket` binding (a NAN addon: main thread only), the
 * Linux socket option numbers they set, `struct ip_mreqn`, and a send that skips raw-socket's
 * writable-poll queue when it can.
 */
import { ipv4ToBytes } from './ip-header';
import { toIoError } from './errors';

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

/** struct ip_mreqn { in_addr imr_multiaddr; in_addr imr_address; int imr_ifindex; } */
export function ipMreqn(group: string, local: string, ifindex: number): Buffer {
  const b = Buffer.alloc(12);
  ipv4ToBytes(group).copy(b, 0);
  ipv4ToBytes(local).copy(b, 4);
  b.writeInt32LE(ifindex, 8);
  return b;
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
