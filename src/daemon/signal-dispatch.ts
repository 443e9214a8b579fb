/**
 * What the daemon does with a caught signal (keepalived's vrrp_signal_init), and when. Signals may
 * arrive from the first instruction on (handlers are in place before the pid file); until the daemon
 * is ready they are held, one of each kind, and run in arrival order once it is. A reload never
 * overlaps another: a SIGHUP during one runs one more reload after it. No process or file is touched
 * here: the actions are the daemon's.
 */
import { actionOf, signalName, type SignalAction } from './signal-table';

/** The daemon's actions; each gets the signal's name (SIGTERM, SIGRTMIN+2, …) for its log lines. */
export type SignalActions = Record<Exclude<SignalAction, 'ignore'>, (signal: string) => void | Promise<void>>;

export interface SignalDispatchLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** keepalived's log lines (vrrp_daemon.c sigusr1_vrrp, sigusr2_vrrp, sigjson_vrrp). */
export function signalLogLine(action: SignalAction, pid: number): string | null {
  switch (action) {
    case 'data':
      return `Printing VRRP data for process(${pid}) on signal`;
    case 'stats':
      return `Printing VRRP stats for process(${pid}) on signal`;
    case 'stats-clear':
      return `Printing and clearing VRRP stats for process(${pid}) on signal`;
    case 'json':
      return `Printing VRRP as json for process(${pid}) on signal`;
    default:
      return null;
  }
}

export class SignalDispatcher {
  private ready = false;
  private readonly held: { action: SignalAction; signo: number }[] = [];
  private reloading: Promise<void> | null = null;
  private reloadAgain = false;
  private stopped = false;

  constructor(
    private readonly actions: SignalActions,
    private readonly log: SignalDispatchLog,
    private readonly pid: number = process.pid,
  ) {}

  /** The daemon has started: held signals run now. */
  markReady(): void {
    if (this.ready) return;
    this.ready = true;
    for (const h of this.held.splice(0)) this.run(h.action, h.signo);
  }

  /** One caught signal (src/io/signals.ts calls this on the main loop). */
  onSignal(signo: number): void {
    const action = actionOf(signo);
    if (action === 'ignore') {
      this.log.debug({ signal: signo }, `Ignoring ${signalName(signo)}`);
      return;
    }
    if (!this.ready) {
      // a stop waits for nothing else; other kinds are kept once each
      const kinds = this.held.map((h) => h.action);
      if (action === 'stop') this.held.splice(0, this.held.length, { action, signo });
      else if (!kinds.includes(action) && !kinds.includes('stop')) this.held.push({ action, signo });
      return;
    }
    this.run(action, signo);
  }

  private run(action: SignalAction, signo: number): void {
    if (action === 'ignore' || this.stopped) return;
    const line = signalLogLine(action, this.pid);
    if (line) this.log.info({}, line);
    if (action === 'stop') {
      this.stopped = true;
      void this.call('stop', signo);
      return;
    }
    if (action === 'reload') {
      if (this.reloading) {
        this.reloadAgain = true;
        return;
      }
      this.reloading = this.call('reload', signo).then(() => {
        this.reloading = null;
        if (this.reloadAgain && !this.stopped) {
          this.reloadAgain = false;
          this.run('reload', signo);
        }
      });
      return;
    }
    void this.call(action, signo);
  }

  private async call(action: Exclude<SignalAction, 'ignore'>, signo: number): Promise<void> {
    try {
      await this.actions[action](signalName(signo));
    } catch (e) {
      this.log.error({ code: 'E_SIGNAL_ACTION', action, err: e }, `${action} on signal failed: ${(e as Error).message}`);
    }
  }
}
