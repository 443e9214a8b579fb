/**
 * What the daemon's parts share: the options, the running config, the supervisor, the table of
 * running instances and the daemon-wide counters. index.ts builds one and hands it to every part.
 */
import type { AdvertTiming } from './advert-timing';
import type { KeepalivedConfig, VrrpInstance } from '../config';
import type { Logger } from '../util/log';
import type { Supervisor, ActorKind } from '../supervisor';
import type { VrrpSocket } from '../io';
import type { InstanceState } from '../actors/vrrp/types';
import type { NotifyConfig } from '../actors/notifier/notify';
import type { AlertState } from '../actors/notifier/smtp';
import type { ResolvedInstance } from './instance';

export interface DaemonOptions {
  configFile: string;
  configId?: string;
  dontFork: boolean;
  logConsole: boolean;
  logDetail: boolean;
  logFile?: string;
  /** -S: syslog facility local0..local7 (keepalived's default: daemon, VRRP local1, checkers local2) */
  logFacility?: number;
  /** -G: no syslog */
  noSyslog?: boolean;
  /** --log-format: stderr and -g file lines as JSON or keepalived's text */
  logFormat?: 'json' | 'text';
  vrrpOnly: boolean;
  checkOnly: boolean;
  pidFile?: string;
  vrrpPidFile?: string;
  checkersPidFile?: string;
  controlSocket?: string;
  dontReleaseVrrp: boolean;
  enableFaultInjection: boolean;
  actorThreads?: number;
  /** SIGUSR1 / SIGUSR2 dump paths (keepalived: /tmp/keepalived.data, /tmp/keepalived.stats). */
  dataFile?: string;
  statsFile?: string;
  /** `--metrics-listen ADDR:PORT` (over global_defs metrics_listen): the metrics/health/status HTTP listener */
  metricsListen?: string;
  /** -D twice */
  logExtraDetail?: boolean;
  /** -X: release VIPs on a transition caused by a signal (reload), even if this run did not add them */
  releaseVips?: boolean;
  /** -I */
  dontReleaseIpvs?: boolean;
  /** -R: a crashed actor is not restarted; the daemon stops */
  dontRespawn?: boolean;
  /** -a: log every address added or removed that netlink reports */
  addressMonitoring?: boolean;
  /** -e: a missing include file is an error */
  includeCheck?: boolean;
}

/** One running vrrp_instance as the main thread sees it. */
export interface Inst {
  id: string;
  vi: VrrpInstance;
  r: ResolvedInstance;
  fingerprint: string;
  sock: VrrpSocket;
  sockKey: string;
  /** The last advert handed to raw-socket: GARPs of the same step wait for it, as keepalived sends advert first. */
  lastSend: Promise<unknown>;
  state: InstanceState | null;
  vipsHeld: boolean;
  /** Kernel operations and notifications run in the order the actor asked for them. */
  queue: Promise<void>;
  drops: Record<string, number>;
  rxAccepted: number;
  /** fault/reasons: what the actor was told (own fault or a sync group member's); own*: this instance's trackers only */
  trackers: { fault: boolean; effective: number; reasons: string[]; ownFault: boolean; ownReasons: string[] };
  notify: NotifyConfig;
  smtpAlert: boolean;
  lastEmailed?: AlertState;
  stopped?: () => void;
  /** where its adverts' time goes (./advert-timing.ts): created at the first timer-driven advert */
  timing?: AdvertTiming;
  /** monoNow() when the main thread read the last advert it accepted for this instance */
  lastRxAt?: number;
  /** monoNow() after the last advert's sendto */
  sentAt?: number;
}

export interface DaemonCounters {
  rxTotal: number;
  rxDropped: number;
  txAdverts: number;
  txErrors: number;
  garpSent: number;
  vipOpsFailed: number;
}

export interface DaemonContext {
  readonly log: Logger;
  readonly opts: DaemonOptions;
  /** replaced on reload */
  cfg: KeepalivedConfig;
  readonly sup: Supervisor;
  /** instance name → running instance */
  readonly insts: Map<string, Inst>;
  readonly counters: DaemonCounters;
  stopping: boolean;
  /** src/observe: told of each transition before its log line (the metrics listener shows it first) */
  observe?: { transition(instance: string, from: string, to: string, reason: string, now: { counters?: Record<string, number>; master?: string | null; effectivePriority?: number; vipsHeld?: boolean }): void };
}

export const bump = (m: Record<string, number>, k: string): void => {
  m[k] = (m[k] ?? 0) + 1;
};

/** Run `fn` after the instance's queued kernel operations and notifications; a failure is logged. */
export function enqueue(ctx: DaemonContext, inst: Inst, what: string, fn: () => Promise<void>): void {
  inst.queue = inst.queue.then(fn).catch((e) => {
    ctx.log.error({ code: (e as { code?: string }).code ?? 'E_IO', instance: inst.vi.name, err: e }, `(${inst.vi.name}) ${what}: ${(e as Error).message}`);
  });
}

/** Spawn an actor; a failure is logged (`cannot start <what> <id>`) and the daemon goes on without it. */
export function spawnOrLog<Init>(sup: Supervisor, log: Logger, what: string, id: string, kind: ActorKind<Init, unknown, unknown>, init: NoInfer<Init>): boolean {
  try {
    sup.spawn(id, kind, init);
    return true;
  } catch (e) {
    log.error({ code: (e as { code?: string }).code ?? 'E_ACTOR_SPAWN', actor: id, err: e }, `cannot start ${what} ${id}: ${(e as Error).message}`);
    return false;
  }
}
