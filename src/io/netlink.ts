/**
 * rtnetlink via the `netlink` package, main thread only (DESIGN.md: a worker exiting with an open
 * netlink socket aborts the whole process). One lazily created request socket is shared; each
 * watcher gets its own subscribed socket.
 */
import { createRtNetlink, rt, type RtNetlinkSocket } from 'netlink';
import { log } from '../util/log';
import { IoError, toIoError } from './errors';
import { linkAddrText, parseIp, parseMac } from '../protocol';

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
      closeNetlink();
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

/**
 * A queue of netlink requests run one at a time: the kernel allows one dump per socket at a time
 * (a second one fails with EBUSY), and our requests are few. A request that gets no answer within
 * 5 s rejects with errno ETIMEDOUT so it cannot block the queue; a rejection becomes an IoError
 * E_NETLINK with its errno name (an IoError passes unchanged).
 */
export function requestQueue(): <T>(what: string, fn: () => Promise<T>) => Promise<T> {
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const run = async (): Promise<T> => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new IoError('E_NETLINK', `${what}: no answer`, 'ETIMEDOUT')), REQUEST_TIMEOUT_MS);
          timer.unref();
        });
        return await Promise.race([fn(), timeout]);
      } catch (e) {
        throw toIoError('E_NETLINK', what, e);
      } finally {
        if (timer) clearTimeout(timer);
      }
    };
    const p = queue.then(run, run);
    queue = p.catch(() => undefined);
    return p;
  };
}

const rtQueue = requestQueue();

/** Runs one rtnetlink request on the shared socket, in the queue above. */
export function nlRequest<T>(what: string, fn: (s: RtNetlinkSocket) => Promise<T>): Promise<T> {
  return rtQueue(what, () => fn(nl()));
}

export const AF_INET = 2;
export const AF_INET6 = 10;
export const MSG = rt.MessageType;

/** Address text to its 4 or 16 bytes; IoError E_IO_ARG if it is not an address. */
export function addrToBuffer(addr: string): Buffer {
  const b = parseIp(addr);
  if (!b) throw new IoError('E_IO_ARG', `not an IP address: ${addr}`);
  return b;
}

export function familyOf(addr: string): 4 | 6 {
  return addrToBuffer(addr).length === 4 ? 4 : 6;
}

export function macToBytes(mac: string): Buffer {
  const b = parseMac(mac);
  if (!b) throw new IoError('E_IO_ARG', `bad MAC address ${mac}`);
  return b;
}

/** A link's hardware address as text; undefined when it has none. */
export function linkAddress(b: Buffer | undefined): string | undefined {
  return b && b.length > 0 ? linkAddrText(b) : undefined;
}
