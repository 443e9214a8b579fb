/**
 * Every actor kind the daemon runs, one definition each: its module, its pool, its restart policy
 * and, through the module's own `defineActor<In, Out, Init>`, the messages it takes and sends. The
 * modules are imported for their types only; hosts load them on their worker threads. To add a kind,
 * write its module and add its definition here; its main-thread side registers it with the handler
 * its output goes to (`Supervisor.register(kind, onOut)`).
 */
import { actorKind } from './runtime';

/**
 * VRRP actors restart at once and often: the snapshot carries the role and timers, so a MASTER
 * survives a crash unseen as long as the restart lands well inside its peers' master-down interval
 * (3 × advert_int + skew, ≥ 300 ms at advert_int 0.1) — the longest back-off is 100 ms. The generic
 * 10-in-60-s policy gave up on the 11th crash, leaving a silent MASTER holding its VIPs.
 */
const VRRP_RESTART_POLICY = { maxRestarts: 100, withinMs: 60_000, backoffMs: [0, 0, 10, 50, 100] };

/** One per vrrp_instance: the state machine and its timers (src/actors/vrrp/actor.ts). */
export const VRRP = actorKind<typeof import('./vrrp/actor').actor>({
  name: 'vrrp', module: require.resolve('./vrrp/actor'), pool: 'vrrp', restartPolicy: VRRP_RESTART_POLICY,
});

/** One per vrrp_script in use: runs it through the script pool, reports rise/fall changes. */
export const VRRP_SCRIPT = actorKind<typeof import('./monitor/actor-script').actor>({
  name: 'vrrp-script', module: require.resolve('./monitor/actor-script'), pool: 'checker',
});

/** One per tracked interface: carrier up/down from the main thread's netlink reflector. */
export const LINK = actorKind<typeof import('./monitor/actor-link').actor>({
  name: 'link', module: require.resolve('./monitor/actor-link'), pool: 'checker',
});

/** One per track_file in use: inotify and periodic re-read, reports the value. */
export const TRACK_FILE = actorKind<typeof import('./monitor/actor-file').actor>({
  name: 'track-file', module: require.resolve('./monitor/actor-file'), pool: 'checker',
});

/** One per vrrp_track_process in use: polls /proc, reports quorum. */
export const TRACK_PROCESS = actorKind<typeof import('./monitor/actor-process').actor>({
  name: 'track-process', module: require.resolve('./monitor/actor-process'), pool: 'checker',
});

/** One per real-server check (TCP_CHECK, HTTP_GET, MISC_CHECK, PING_CHECK, …): runs it, reports up/down. */
export const CHECKER = actorKind<typeof import('./checker/actor').actor>({
  name: 'checker', module: require.resolve('./checker/actor'), pool: 'checker',
});

/** One per instance / sync group with notify scripts: runs them through the script pool. */
export const NOTIFY = actorKind<typeof import('./notifier/actor-notify').actor>({
  name: 'notify', module: require.resolve('./notifier/actor-notify'), pool: 'notifier',
});

/** notify_fifo / vrrp_notify_fifo: writes keepalived's FIFO lines. */
export const NOTIFY_FIFO = actorKind<typeof import('./notifier/actor-fifo').actor>({
  name: 'notify-fifo', module: require.resolve('./notifier/actor-fifo'), pool: 'notifier',
});

/** smtp_alert: sends keepalived's alert mails. */
export const NOTIFY_SMTP = actorKind<typeof import('./notifier/actor-smtp').actor>({
  name: 'notify-smtp', module: require.resolve('./notifier/actor-smtp'), pool: 'notifier',
});
