/**
 * rtnetlink via the `netlink` package, main thread only (DESIGN.md: a worker exiting with an open
 * netlink socket aborts the whole process). One lazily created request socket is shared; each
 * watcher gets its own subscribed socket.
 */
import net from 'node:net';
import { createRtNetlink, rt, type RtNetlinkSocket } from 'netlink';
import { log } from '../util/log';
import { IoError, toIoError } from './errors';
import { bytesToIpv4, ipv4ToBytes, ipv6ToBytes } from './ip-header';

let shared: RtNetlinkSocket | undefined;

/** The shared request socket (does not keep the event loop alive when idle). */
export function nl(): RtNetlinkSocket {
  if (!shared) {
    try {
      shared = createRtNetlink();
    } catch (e) {
      throw toIoError('E_NETLINK', 'rtnetlink socket', e);
    }
    shared.socket.on('error', (e: Error) => {
      log().error({ err: e }, 'rtnetlink socket error; reopening on next request');
      try {
        shared?.socket.close();
      } catch {
        /* already closed */
      }
      shared = undefined;
    });
  }
  return shared;
}

/** Closes the shared request socket (tests, shutdown). The next request opens a new one. */
export function closeNetlink(): void {
  try {
    shared?.socket.close();
  } catch {
    /* ignore */
  }
  shared = undefined;
}

const REQUEST_TIMEOUT_MS = 5_000;
let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs one netlink request on the shared socket, turning its rejection into IoError E_NETLINK
 * (errno name kept). Requests are serialized: the kernel allows one dump per socket at a time
 * (a second one fails with EBUSY), and VIP changes are few. A request that gets no answer within
 * 5 s rejects with errno ETIMEDOUT so it cannot block the queue.
 */
export function nlRequest<T>(what: string, fn: (s: RtNetlinkSocket) => Promise<T>): Promise<T> {
  const run = async (): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new IoError('E_NETLINK', `${what}: no answer`, 'ETIMEDOUT')), REQUEST_TIMEOUT_MS);
        timer.unref();
      });
      return await Promise.race([fn(nl()), timeout]);
    } catch (e) {
      throw toIoError('E_NETLINK', what, e);
    } finally {
      if (timer) clearTimeout(timer);
    }
  };
  const p = queue.then(run, run);
  queue = p.catch(() => undefined);
  return p;
}

export const AF_INET = 2;
export const AF_INET6 = 10;
export const MSG = rt.MessageType;

export function familyOf(addr: string): 4 | 6 {
  const f = net.isIP(addr);
  if (f !== 4 && f !== 6) throw new IoError('E_IO_ARG', `not an IP address: ${addr}`);
  return f;
}

export function addrToBuffer(addr: string): Buffer {
  return familyOf(addr) === 4 ? ipv4ToBytes(addr) : ipv6ToBytes(addr);
}

/** Canonical text form (RFC 5952 for IPv6: lower case, longest zero run compressed). */
export function bufferToAddr(b: Uint8Array): string {
  if (b.length === 4) return bytesToIpv4(b);
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push((b[i]! << 8) | b[i + 1]!);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = w.map((x) => x.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

export function macToString(b: Uint8Array | undefined): string | undefined {
  if (!b || b.length === 0) return undefined;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export function macToBuffer(mac: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new IoError('E_IO_ARG', `bad MAC address ${mac}`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}
