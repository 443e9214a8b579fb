/**
 * Interface monitor actor (pool 'vrrp', see kinds.ts), one per tracked interface (an instance's own interface
 * unless dont_track_primary, track_interface of instances and sync groups).
 *
 * The main thread's netlink reflector (the only place a netlink socket may live, DESIGN.md) feeds it
 * `{ type: 'link', up }` (up = IFF_UP and IFF_RUNNING, i.e. carrier); the actor keeps the interface's
 * status in its snapshot and reports only changes as `{ type: 'link', ifname, up, changes }`; the main
 * thread aggregates them (computeEffective) into fault/priority for the VRRP actors.
 *
 * After a restart the main thread sends the current status again (it may have changed while the actor
 * was down); the actor reports it if it differs from its snapshot, so no change is lost or doubled.
 */
import { defineActor } from '../runtime';

export interface LinkMonitorInit {
  ifname: string;
  up: boolean;
}

export type ToLinkMonitor = { type: 'link'; up: boolean };
export type LinkReport = { type: 'link'; ifname: string; up: boolean; changes: number };
export type FromLinkMonitor = LinkReport;

export interface LinkMonitorSnapshot {
  up: boolean;
  changes: number;
}

export const actor = defineActor<ToLinkMonitor, FromLinkMonitor, LinkMonitorInit, LinkMonitorSnapshot & { ifname: string }>({
  start(ctx, init, snapshot) {
    const s = snapshot as LinkMonitorSnapshot | undefined;
    ctx.state = { ifname: init.ifname, up: s ? s.up : init.up, changes: s?.changes ?? 0 };
    ctx.report({ up: ctx.state.up, changes: ctx.state.changes });
  },

  receive(ctx, msg) {
    const w = ctx.state;
    if (!w) return;
    switch (msg.type) {
      case 'link': {
        const up = msg.up === true;
        if (up === w.up) return;
        w.up = up;
        w.changes++;
        ctx.report({ up: w.up, changes: w.changes });
        ctx.send({ type: 'link', ifname: w.ifname, up, changes: w.changes });
        return;
      }
      default: {
        const never: never = msg.type;
        ctx.log.warn({ msg: never }, 'link monitor: unknown message dropped');
      }
    }
  },
});
