/**
 * vrrp_sync_group coupling on the main thread: the group rules of sync-group.ts (pure) applied to
 * the running instances. A member that wants MASTER asks here (`tryMaster`); a member that moved
 * takes its group along (`onMemberTransition`: `sync` messages to the other members' actors and the
 * group's notifies).
 */
import type { VrrpSyncGroup } from '../config';
import type { VrrpState } from '../actors/vrrp/types';
import { VRRP } from '../actors/kinds';
import { enqueue, type DaemonContext, type Inst } from './context';
import { planSyncGroups, canGoMaster, groupOnTransition, type SyncGroupPlan, type GroupState, type MemberView } from './sync-group';
import { globalSmtpAlert, pickNotify, type NotifyDispatch } from './notify-dispatch';

export class SyncGroups {
  private plan: SyncGroupPlan = { groups: new Map(), groupOf: new Map(), messages: [] };
  private readonly states = new Map<string, GroupState>();

  constructor(private readonly ctx: DaemonContext, private readonly notifiers: NotifyDispatch) {}

  /** instance name → its group */
  get groupOf(): ReadonlyMap<string, string> {
    return this.plan.groupOf;
  }

  /** (Re)plan the groups from the running config; a group that stays keeps its state. */
  configure(): void {
    const cfg = this.ctx.cfg;
    this.plan = planSyncGroups(cfg.vrrpSyncGroups, cfg.vrrpInstances);
    for (const m of this.plan.messages) this.ctx.log.info({ code: 'E_CONFIG_REFERENCE' }, m);
    for (const g of this.plan.groups.keys()) if (!this.states.has(g)) this.states.set(g, 'INIT');
    for (const g of [...this.states.keys()]) if (!this.plan.groups.has(g)) this.states.delete(g);
  }

  /** The names of the members of `vi`'s group (undefined when it has none) and the group's config. */
  groupOfInstance(name: string): { name: string; members: string[]; def: VrrpSyncGroup | undefined } | undefined {
    const gname = this.plan.groupOf.get(name);
    if (!gname) return undefined;
    return { name: gname, members: this.plan.groups.get(gname) ?? [], def: this.def(gname) };
  }

  /**
   * A member's Master_Down_Timer expired (it wants MASTER): keepalived vrrp_sync_can_goto_master. When
   * the group is MASTER or every other member wants MASTER too, it goes MASTER and the group with it
   * (the others follow through groupOnTransition); otherwise it stays BACKUP and its timer runs again.
   */
  tryMaster(inst: Inst): void {
    const gname = this.plan.groupOf.get(inst.vi.name);
    if (gname && !canGoMaster(this.states.get(gname) ?? 'INIT', inst.vi.name, this.memberViews(gname))) return;
    this.ctx.sup.send(VRRP, inst.id, { type: 'sync', to: 'MASTER' });
  }

  /** A member changed state: the group follows (vrrp_sync_fault / vrrp_sync_backup / vrrp_sync_master). */
  onMemberTransition(inst: Inst, to: VrrpState): void {
    const gname = this.plan.groupOf.get(inst.vi.name);
    if (!gname) return;
    const prev = this.states.get(gname) ?? 'INIT';
    const step = groupOnTransition(prev, inst.vi.name, to, this.memberViews(gname));
    if (!step.changed) return;
    this.states.set(gname, step.state);
    if (step.state === 'INIT') return;
    this.ctx.log.info({ group: gname, from: prev, to: step.state }, `VRRP_Group(${gname}) Syncing instances to ${step.state} state`);
    for (const f of step.force) {
      const m = this.ctx.insts.get(f.name);
      if (m) this.ctx.sup.send(VRRP, m.id, { type: 'sync', to: f.to });
    }
    const g = this.def(gname);
    if (!g) return;
    const st = step.state;
    const smtp = g.smtpAlert ?? globalSmtpAlert(this.ctx.cfg.globalDefs);
    enqueue(this.ctx, inst, 'group notify', async () => {
      this.notifiers.group(gname, pickNotify(g), st, smtp);
    });
  }

  private def(name: string): VrrpSyncGroup | undefined {
    return this.ctx.cfg.vrrpSyncGroups.find((g) => g.name === name);
  }

  private memberViews(gname: string): MemberView[] {
    return (this.plan.groups.get(gname) ?? []).map((m) => {
      const st = this.ctx.insts.get(m)?.state;
      return { name: m, state: st?.state ?? 'INIT', wantMaster: !!st?.syncWantMaster };
    });
  }
}
