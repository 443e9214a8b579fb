/**
 * Every actor kind the daemon runs, one definition each: its module, its pool, its restart policy
 * and, through the module's own `defineActor<In, Out, Init>`, the messages it takes and sends. The
 * modules are imported for their types only; hosts load them on their worker threads. To add a kind,
 * write its module and add its definition here; its main-thread side registers it with the handler
 * its output goes to (`Supervisor.register(kind, onOut)`).
 */
import { actorKind, type ActorModule, type ActorKindOf } from './runtime';
import type { Pool, RestartPolicy } from '../supervisor';

/**
 * VRRP actors restart at once and often: the snapshot carries the role and timers, so a MASTER
 * survives a crash unseen as long as the restart lands well inside its peers' master-down interval
 * (3 × advert_int + skew, ≥ 300 ms at advert_int 0.1) — the longest back-off is 100 ms. The generic
 * 10-in-60-s policy gave up on the 11th crash, leaving a silent MASTER holding its VIPs.
 */
const VRRP_RESTART_POLICY = { maxRestarts: 100, withinMs: 60_000, backoffMs: [0, 0, 10, 50, 100] };

/** `file`: the module's path under src/actors, without extension. */
function kind<M extends ActorModule<never, unknown, never, never>>(name: string, file: string, pool: Pool, restartPolicy?: RestartPolicy): ActorKindOf<M> {
  return actorKind<M>({ name, module: require.resolve(`./${file}`), pool, restartPolicy });
}

/** One per vrrp_instance: the state machine and its timers (src/actors/vrrp/actor.ts). */
export const VRRP = kind<typeof import('./vrrp/actor').actor>('vrrp', 'vrrp/actor', 'vrrp', VRRP_RESTART_POLICY);

/** One per vrrp_script in use: runs it through the script pool, reports rise/fall changes. */
export const VRRP_SCRIPT = kind<typeof import('./monitor/actor-script').actor>('vrrp-script', 'monitor/actor-script', 'checker');

/**
 * One per tracked interface: carrier up/down from the main thread's netlink reflector. Pool 'vrrp':
 * every instance tracks its own interface, so on the checker pool this actor alone started a second
 * actor thread (a 12-15 MB isolate) for the simplest config; it runs only on a carrier change, with no
 * timer and no IO, so it cannot delay a VRRP timer.
 */
export const LINK = kind<typeof import('./monitor/actor-link').actor>('link', 'monitor/actor-link', 'vrrp');

/** One per track_file in use: inotify and periodic re-read, reports the value. */
export const TRACK_FILE = kind<typeof import('./monitor/actor-file').actor>('track-file', 'monitor/actor-file', 'checker');

/** One per vrrp_track_process in use: polls /proc, reports quorum. */
export const TRACK_PROCESS = kind<typeof import('./monitor/actor-process').actor>('track-process', 'monitor/actor-process', 'checker');

/** One per real-server check (TCP_CHECK, HTTP_GET, MISC_CHECK, PING_CHECK, …): runs it, reports up/down. */
export const CHECKER = kind<typeof import('./checker/actor').actor>('checker', 'checker/actor', 'checker');

/** One per instance / sync group with notify scripts: runs them through the script pool. */
export const NOTIFY = kind<typeof import('./notifier/actor-notify').actor>('notify', 'notifier/actor-notify', 'notifier');

/** notify_fifo / vrrp_notify_fifo: writes keepalived's FIFO lines. */
export const NOTIFY_FIFO = kind<typeof import('./notifier/actor-fifo').actor>('notify-fifo', 'notifier/actor-fifo', 'notifier');

/** smtp_alert: sends keepalived's alert mails. */
export const NOTIFY_SMTP = kind<typeof import('./notifier/actor-smtp').actor>('notify-smtp', 'notifier/actor-smtp', 'notifier');
