/**
 * sd_notify(3) for a Type=notify unit: datagrams to $NOTIFY_SOCKET (a path, or '@' for the abstract
 * namespace) sent by the addon, since Node has no unix datagram sockets. Built from the environment
 * once at start-up; the variables are then removed from process.env so scripts the daemon runs do
 * not inherit them (sd_notify's unset_environment). Without NOTIFY_SOCKET every call is a no-op.
 */
import { addon } from './addon';
import { toIoError, type IoError } from './errors';

export interface SdNotifierOptions {
  /** the environment to read (default process.env; the variables are deleted from it) */
  env?: NodeJS.ProcessEnv;
  /** called when a datagram cannot be sent (the daemon logs it; systemd may then time out) */
  onError?: (e: IoError) => void;
}

export class SdNotifier {
  readonly socket: string | null;
  /** WATCHDOG_USEC for this process (WATCHDOG_PID unset or ours), else null */
  readonly watchdogUsec: number | null;
  private watchdog: NodeJS.Timeout | null = null;
  private readonly onError: (e: IoError) => void;

  constructor(opts: SdNotifierOptions = {}) {
    const env = opts.env ?? process.env;
    this.onError = opts.onError ?? (() => undefined);
    const sock = env.NOTIFY_SOCKET;
    this.socket = sock && (sock.startsWith('/') || sock.startsWith('@')) ? sock : null;
    const usec = Number(env.WATCHDOG_USEC);
    const forUs = !env.WATCHDOG_PID || Number(env.WATCHDOG_PID) === process.pid;
    this.watchdogUsec = this.socket && forUs && Number.isInteger(usec) && usec > 0 ? usec : null;
    delete env.NOTIFY_SOCKET;
    delete env.WATCHDOG_USEC;
    delete env.WATCHDOG_PID;
  }

  get enabled(): boolean {
    return this.socket !== null;
  }

  /** Sends `KEY=value` lines as one datagram; false when disabled or the send failed. */
  send(fields: Record<string, string | number>): boolean {
    if (!this.socket) return false;
    const text = Object.entries(fields)
      .map(([k, v]) => `${k}=${String(v).replace(/\n/g, ' ')}`)
      .join('\n');
    try {
      addon().sdNotify(this.socket, text);
      return true;
    } catch (e) {
      this.onError(toIoError('E_IO_NOTIFY', `sd_notify ${this.socket}`, e));
      return false;
    }
  }

  ready(status?: string): boolean {
    return this.send({ READY: 1, ...(status ? { STATUS: status } : {}) });
  }

  /** RELOADING=1 with MONOTONIC_USEC (systemd ≥ 253 wants it for Type=notify-reload; older ones ignore it). */
  reloading(status?: string): boolean {
    return this.send({ RELOADING: 1, MONOTONIC_USEC: monotonicUsec(), ...(status ? { STATUS: status } : {}) });
  }

  stopping(status?: string): boolean {
    return this.send({ STOPPING: 1, ...(status ? { STATUS: status } : {}) });
  }

  status(line: string): boolean {
    return this.send({ STATUS: line });
  }

  /**
   * WATCHDOG=1 every WATCHDOG_USEC/2 from a main-loop timer: a blocked loop sends nothing and
   * systemd restarts the service. `alive` (the main-loop liveness monitor, when there is one) can
   * hold a ping back. Unreferenced: it never keeps the process alive.
   */
  startWatchdog(alive: () => boolean = () => true): void {
    if (this.watchdogUsec === null || this.watchdog) return;
    const periodMs = Math.max(1, Math.floor(this.watchdogUsec / 2000));
    this.watchdog = setInterval(() => {
      if (alive()) this.send({ WATCHDOG: 1 });
    }, periodMs);
    this.watchdog.unref();
  }

  stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
  }
}

function monotonicUsec(): string {
  return (process.hrtime.bigint() / 1000n).toString();
}
