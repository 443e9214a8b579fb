/**
 * Echo requests for PING_CHECK over raw ICMP / ICMPv6 sockets (raw-socket: main thread only, see
 * ../shared/DESIGN.md). A checker actor decides when to ping and what the answer means; it asks the
 * main thread with a message, the daemon calls {@link IcmpPinger.ping} and answers with the result.
 *
 * One socket per family serves every checker: requests carry this process's identifier and a
 * sequence number unique among the pings in flight, and a reply counts only when it comes from the
 * pinged address with that identifier and sequence. keepalived 2.2.7 uses an unprivileged ICMP
 * datagram socket (the kernel filters replies by identifier); the raw socket needs root, which the
 * daemon has.
 */
import net from 'node:net';
import { decodeEchoReply, encodeEcho, icmpOfIpv4 } from '../protocol/icmp';
import { IoError, toIoError } from './errors';
import { raw, rawSend, type RawSocket, SOL_SOCKET, SO_RCVBUF } from './raw';

const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;

export type PingResult = { ok: true; rttMs: number } | { ok: false; reason: 'timeout' | 'send-error'; message?: string };

interface Pending {
  dst: string;
  seq: number;
  sentAt: number;
  timer: NodeJS.Timeout;
  resolve: (r: PingResult) => void;
}

function canonical(addr: string): string {
  // raw-socket reports IPv6 sources in their compressed form; normalise both sides the same way
  if (!net.isIPv6(addr)) return addr;
  const sa = new net.SocketAddress({ address: addr, family: 'ipv6' });
  return sa.address;
}

export class IcmpPinger {
  readonly stats = { txPackets: 0, txErrors: 0, rxReplies: 0, rxOther: 0 };
  private readonly socks = new Map<4 | 6, RawSocket>();
  private readonly pending = new Map<string, Pending>();
  private seq = 0;
  private closed = false;
  /** the echo identifier: this process's pid, as ping(8) does */
  readonly id = process.pid & 0xffff;

  private socket(family: 4 | 6): RawSocket {
    const have = this.socks.get(family);
    if (have) return have;
    let s: RawSocket;
    try {
      s = raw.createSocket({
        protocol: family === 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6,
        addressFamily: family === 4 ? raw.AddressFamily.IPv4 : raw.AddressFamily.IPv6,
        bufferSize: 65536,
      });
    } catch (e) {
      throw toIoError('E_IO_SOCKET', `socket(IPv${family}, SOCK_RAW, ${family === 4 ? 'ICMP' : 'ICMPv6'})`, e);
    }
    try {
      const size = Buffer.alloc(4);
      size.writeInt32LE(128 * 1024);
      s.setOption(SOL_SOCKET, SO_RCVBUF, size, 4);
    } catch {
      /* keepalived carries on without the larger buffer too */
    }
    s.on('message', (buf, source) => this.onMessage(family, buf, source));
    s.on('error', () => undefined);
    this.socks.set(family, s);
    return s;
  }

  private onMessage(family: 4 | 6, buf: Buffer, source: string): void {
    const icmp = family === 4 ? icmpOfIpv4(buf) : buf;
    const echo = icmp ? decodeEchoReply(family, icmp) : null;
    if (!echo || echo.id !== this.id) {
      this.stats.rxOther++;
      return;
    }
    const key = `${canonical(source)}|${echo.seq}`;
    const p = this.pending.get(key);
    if (!p) {
      this.stats.rxOther++;
      return;
    }
    this.stats.rxReplies++;
    this.pending.delete(key);
    clearTimeout(p.timer);
    p.resolve({ ok: true, rttMs: Date.now() - p.sentAt });
  }

  private nextSeq(dst: string): number {
    for (let i = 0; i < 0x10000; i++) {
      this.seq = (this.seq + 1) & 0xffff;
      if (!this.pending.has(`${dst}|${this.seq}`)) return this.seq;
    }
    throw new IoError('E_IO_SEND', `too many pings in flight to ${dst}`);
  }

  /** Send one echo request to `dst` and wait up to `timeoutMs` for its reply. Never rejects. */
  async ping(dst: string, timeoutMs: number): Promise<PingResult> {
    if (this.closed) return { ok: false, reason: 'send-error', message: 'closed' };
    const family = net.isIPv6(dst) ? 6 : 4;
    const to = canonical(dst);
    let sock: RawSocket;
    let seq: number;
    try {
      sock = this.socket(family);
      seq = this.nextSeq(to);
    } catch (e) {
      return { ok: false, reason: 'send-error', message: (e as Error).message };
    }
    const key = `${to}|${seq}`;
    const result = new Promise<PingResult>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        resolve({ ok: false, reason: 'timeout' });
      }, timeoutMs);
      this.pending.set(key, { dst: to, seq, sentAt: Date.now(), timer, resolve });
    });
    try {
      await rawSend(sock, encodeEcho(family, { id: this.id, seq }), dst, this.stats, `ICMP echo to ${dst}`);
    } catch (e) {
      const p = this.pending.get(key);
      if (p) {
        clearTimeout(p.timer);
        this.pending.delete(key);
      }
      return { ok: false, reason: 'send-error', message: (e as Error).message };
    }
    return result;
  }

  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, reason: 'send-error', message: 'closed' });
    }
    this.pending.clear();
    for (const s of this.socks.values()) s.close();
    this.socks.clear();
  }
}
