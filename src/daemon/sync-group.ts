/**
 * vrrp_sync_group: instances that move together — pure, no IO.
 *
 * keepalived 2.2.7 (vrrp/vrrp_sync.c, vrrp_track.c down_instance / vrrp_scheduler.c try_up_instance):
 * - a group needs at least two existing members ("Sync group VG has only 1 virtual router(s) -
 *   removing"); an instance can be in one group only (later groups ignore it);
 * - one member entering FAULT (its own trackers) ⇒ vrrp_sync_fault: every other member leaves
 *   MASTER with a priority-0 advert or goes BACKUP/INIT → FAULT, each with its own FAULT notify; the
 *   group enters FAULT and runs the group notifies (`GROUP <name> FAULT 0`);
 * - the group leaves FAULT only when no member has a fault of its own any more (num_member_fault
 *   back to 0): then all members go BACKUP together (vrrp_sync_backup) and elect again;
 * - the group is MASTER / BACKUP / STOP once its members are; group notifies get priority 0.
 * - track_interface / track_script / … written in the group apply to every member (weight 0 unless
 *   `sync_group_tracking_weight`).
 *
 * - ordinary elections (vrrp_sync_master / vrrp_sync_backup / vrrp_sync_can_goto_master): a member
 *   whose Master_Down_Timer expires only *wants* MASTER; it goes MASTER when the group is MASTER or
 *   every other member wants MASTER too ("prefer backup state to avoid thrashing"), and then the
 *   whole group goes MASTER. A member leaving MASTER for BACKUP (a higher-priority advert) takes every
 *   other MASTER member to BACKUP with it (VIPs released, no priority-0 advert).
 *   Measured with keepalived 2.2.7: with the group on both nodes, raising one member's priority on
 *   the BACKUP node moves nothing (that member times out again and again, "Receive advertisement
 *   timeout", but its group-mate still hears a better master).
 *
 * keepalived-ts realises the FAULT coupling by giving each member the group's combined fault: a
 * member is in fault while any member has a fault of its own (`memberFault`). Elections are coupled
 * by `canGoMaster` (the member's machine reports `syncWant`, the daemon answers with `sync` events)
 * and `groupOnTransition` (the group's state and the members it forces after a member moved).
 */
import type { VrrpSyncGroup, VrrpInstance } from '../config';
import type { VrrpState } from '../actors/vrrp/types';

export type GroupState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

export interface SyncGroupPlan {
  /** group name → member instance names (in configuration order), only groups with ≥ 2 members */
  groups: Map<string, string[]>;
  /** instance name → its group */
  groupOf: Map<string, string>;
  /** keepalived's messages about members that were dropped */
  messages: string[];
}

/** Resolve the configured groups against the instances that exist, like vrrp_sync_set_group(). */
export function planSyncGroups(groups: readonly Pick<VrrpSyncGroup, 'name' | 'group'>[], instances: readonly Pick<VrrpInstance, 'name'>[]): SyncGroupPlan {
  const exists = new Set(instances.map((i) => i.name));
  const plan: SyncGroupPlan = { groups: new Map(), groupOf: new Map(), messages: [] };
  for (const g of groups) {
    const members: string[] = [];
    for (const m of g.group) {
      if (!exists.has(m)) {
        plan.messages.push(`Virtual router ${m} specified in sync group ${g.name} doesn't exist - ignoring`);
      } else if (plan.groupOf.has(m) || members.includes(m)) {
        plan.messages.push(`Virtual router ${m} cannot exist in more than one sync group; ignoring ${g.name}`);
      } else {
        members.push(m);
      }
    }
    if (members.length <= 1) {
      plan.messages.push(`Sync group ${g.name} has only ${members.length} virtual router(s) - removing`);
      continue;
    }
    plan.groups.set(g.name, members);
    for (const m of members) plan.groupOf.set(m, g.name);
  }
  return plan;
}

/**
 * The fault a member must be in: its own, or — for a group member — that of any other member
 * (vrrp_sync_fault). `own` maps instance name → its own tracker fault and reasons.
 */
export function memberFault(
  instance: string,
  members: readonly string[] | undefined,
  own: ReadonlyMap<string, { fault: boolean; reasons: readonly string[] }>,
  groupName?: string,
): { fault: boolean; reasons: string[] } {
  const mine = own.get(instance);
  const reasons: string[] = mine?.fault ? [...mine.reasons] : [];
  let fault = !!mine?.fault;
  for (const m of members ?? []) {
    if (m === instance) continue;
    const o = own.get(m);
    if (o?.fault) {
      fault = true;
      reasons.push(`${groupName ? `sync group ${groupName}` : 'sync group'} member ${m} in fault`);
    }
  }
  return { fault, reasons };
}

/**
 * The group's state after a member changed. FAULT while any member is in FAULT; MASTER, BACKUP or
 * STOP once every member is; otherwise (members on their way, e.g. one already MASTER, the other
 * still BACKUP) the group keeps its state — except that a group leaving FAULT with no member in
 * FAULT any more is BACKUP (vrrp_sync_backup).
 */
export function nextGroupState(prev: GroupState, members: readonly VrrpState[]): GroupState {
  if (members.length === 0) return prev;
  if (members.some((s) => s === 'FAULT')) return 'FAULT';
  for (const s of ['MASTER', 'BACKUP', 'STOP'] as const) if (members.every((m) => m === s)) return s;
  if (prev === 'FAULT' && !members.some((s) => s === 'INIT')) return 'BACKUP';
  return prev;
}

/** A member as the group sees it: its state and whether its Master_Down_Timer expired (keepalived wantstate MASTER). */
export interface MemberView {
  name: string;
  state: VrrpState;
  wantMaster: boolean;
}

/**
 * keepalived vrrp_sync_can_goto_master: yes when the group is already MASTER, or when every other
 * member wants MASTER (its own timer expired) or is MASTER; otherwise the member stays BACKUP.
 */
export function canGoMaster(group: GroupState, member: string, members: readonly MemberView[]): boolean {
  if (group === 'MASTER') return true;
  return members.every((m) => m.name === member || m.state === 'MASTER' || (m.state === 'BACKUP' && m.wantMaster));
}

export interface GroupStep {
  state: GroupState;
  /** the group's state changed (log "Syncing instances to <state> state", group notifies) */
  changed: boolean;
  /** members forced to follow (vrrp_sync_master / vrrp_sync_backup), in group order */
  force: { name: string; to: 'MASTER' | 'BACKUP' }[];
}

/**
 * A member made a transition (its `to` is already in `members`). keepalived 2.2.7:
 * - to MASTER, group not MASTER ⇒ vrrp_sync_master: group MASTER, every other BACKUP member goes MASTER;
 * - to BACKUP, group not BACKUP ⇒ vrrp_sync_backup: group BACKUP, every other MASTER member leaves
 *   MASTER (a FAULT member whose own fault is gone leaves FAULT through the fault path here);
 * - to FAULT ⇒ group FAULT (vrrp_sync_fault; the members follow through `memberFault`);
 * - STOP/INIT: the group is STOP once every member is.
 */
export function groupOnTransition(prev: GroupState, member: string, to: VrrpState, members: readonly MemberView[]): GroupStep {
  const others = members.filter((m) => m.name !== member);
  if (to === 'MASTER') {
    if (prev === 'MASTER') return { state: prev, changed: false, force: [] };
    return { state: 'MASTER', changed: true, force: others.filter((m) => m.state === 'BACKUP').map((m) => ({ name: m.name, to: 'MASTER' as const })) };
  }
  if (to === 'BACKUP') {
    if (prev === 'BACKUP') return { state: prev, changed: false, force: [] };
    return { state: 'BACKUP', changed: true, force: others.filter((m) => m.state === 'MASTER').map((m) => ({ name: m.name, to: 'BACKUP' as const })) };
  }
  if (to === 'FAULT') return { state: 'FAULT', changed: prev !== 'FAULT', force: [] };
  const next = nextGroupState(prev, members.map((m) => m.state));
  return { state: next, changed: next !== prev, force: [] };
}
