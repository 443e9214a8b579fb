/**
 * An instance's life on the main thread: start (resolve it against its interface, VMAC, socket,
 * stale VIPs removed, its VRRP actor spawned, first tracker status) and stop (graceful: the actor's
 * shutdown step releases the VIPs with a priority-0 advert; or silent, for a reload that carries it).
 */
import type { VrrpInstance } from '../config';
import { listAddresses } from '../io';
import type { InstanceState } from '../actors/vrrp/types';
import { VRRP } from '../actors/kinds';
import type { DaemonContext, Inst } from './context';
import { resolveInstance, instanceFingerprint, type InterfaceFacts, type ResolvedInstance } from './instance';
import { pickNotify, globalSmtpAlert } from './notify-dispatch';
import type { VmacManager } from './vmac';
import type { AdvertIntake } from './intake';
import type { IntentRunner } from './runner';
import type { Trackers } from './trackers';
import type { SyncGroups } from './sync-groups';

export class InstanceLifecycle {
  constructor(
    private readonly ctx: DaemonContext,
    private readonly parts: { vmacs: VmacManager; intake: AdvertIntake; runner: IntentRunner; trackers: Trackers; sync: SyncGroups },
  ) {}

  /** `vi` resolved against its interface's current addresses. */
  async resolve(vi: VrrpInstance): Promise<ResolvedInstance> {
    return resolveInstance(vi, this.ctx.cfg.globalDefs, await interfaceFacts(vi.interface ?? ''));
  }

  async start(vi: VrrpInstance, carry: InstanceState | null = null): Promise<void> {
    const { vmacs, intake, runner, trackers, sync } = this.parts;
    if (!vi.interface) throw Object.assign(new Error('no interface'), { code: 'E_CONFIG_INTERFACE' });
    const r = await this.resolve(vi);
    await vmacs.setup(r);
    const { sock, key } = intake.acquire(r, vi.name);
    const inst: Inst = {
      id: `vrrp:${vi.name}`,
      vi,
      r,
      fingerprint: instanceFingerprint(r, vi),
      sock,
      sockKey: key,
      lastSend: Promise.resolve(),
      state: carry,
      vipsHeld: false,
      queue: Promise.resolve(),
      drops: {},
      rxAccepted: 0,
      trackers: { fault: false, effective: vi.priority, reasons: [], ownFault: false, ownReasons: [] },
      notify: pickNotify(vi),
      smtpAlert: vi.smtpAlert ?? globalSmtpAlert(this.ctx.cfg.globalDefs),
    };
    this.ctx.insts.set(vi.name, inst);
    intake.attachAh(inst);
    if (!carry) runner.removeStale(inst);
    runner.prepare(inst);
    // a sync group member becomes MASTER only when its group lets it (vrrp_sync_can_goto_master)
    const params = sync.groupOf.has(vi.name) ? { ...r.params, syncGroup: true } : r.params;
    this.ctx.sup.spawn(inst.id, VRRP, { params, carry });
    this.ctx.log.info({ instance: vi.name, ifname: r.ifname, vrid: r.params.vrid, version: r.params.version }, `(${vi.name}) Initialising on ${r.ifname}`);
    trackers.update(inst, true);
  }

  /** graceful: the actor runs its shutdown step (priority 0, VIPs released); otherwise just stop the actor. */
  async stop(inst: Inst, graceful: boolean): Promise<void> {
    if (graceful && inst.state && inst.state.state !== 'STOP') {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1500);
        inst.stopped = () => {
          clearTimeout(t);
          resolve();
        };
        this.ctx.sup.send(VRRP, inst.id, { type: 'shutdown' });
      });
    }
    await this.ctx.sup.stop(inst.id, graceful ? 'removed' : 'reload');
    await inst.queue;
    this.ctx.insts.delete(inst.vi.name);
    this.parts.intake.release(inst);
    if (graceful && inst.r.vmac) {
      this.parts.runner.closePacketSocket(inst.r.vipIfname);
      await this.parts.vmacs.remove(inst.r);
    }
  }
}

async function interfaceFacts(ifname: string): Promise<InterfaceFacts> {
  const addrs = await listAddresses(ifname).catch(() => []);
  const v4 = addrs.find((a) => a.family === 4 && !a.flags.includes('secondary'));
  const ll = addrs.find((a) => a.family === 6 && a.address.toLowerCase().startsWith('fe80'));
  return { ipv4: v4?.address, linkLocal6: ll?.address };
}
