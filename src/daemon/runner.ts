/**
 * Instance runner: carries out what a VRRP actor decided. Its `effects` message (send advert,
 * add/remove VIPs with their routes, GARP/NA burst, firewall drop rule, transition) is executed here
 * through src/io, in the order the actor asked (each instance has one queue of kernel operations and
 * notifications). VIPs live in the kernel and are only touched on an actor's explicit intent, so a
 * crashed or hung actor (restarted by the supervisor from its snapshot) never loses them.
 */
import * as fs from 'node:fs';
import type { VirtualAddress } from '../config';
import {
  openPacketSocket, addAddress, removeAddress, alreadyDone, type PacketSocket, NftFirewall, nftSettings, nftVips, blocksVips,
} from '../io';
import { gratuitousArp } from '../protocol/arp';
import { unsolicitedNaFrame } from '../protocol/ndisc';
import type { Intent, VrrpState } from '../actors/vrrp/types';
import { monoNow } from '../actors/runtime';
import type { FromVrrpActor } from '../actors/vrrp/actor';
import type { NotifyState } from '../actors/notifier/notify';
import { enqueue, type DaemonContext, type Inst } from './context';
import { advertPayload } from './instance';
import { gaveUpStep } from './gave-up';
import { installRoutes, removeRoutes, instanceRouteSet } from './routes';
import { usesAh, type AhAuth } from './ah-auth';
import type { NotifyDispatch } from './notify-dispatch';
import type { SyncGroups } from './sync-groups';
import { Deputy } from './deputy';
import { AdvertTiming } from './advert-timing';

export class IntentRunner {
  private readonly pkts = new Map<string, PacketSocket>();
  /** no_accept / vrrp_strict drop rules (src/io/nftables.ts), made on the first blocking MASTER */
  private nft: NftFirewall | null = null;
  /** keeps a late actor's MASTER adverts on time (./deputy.ts) */
  readonly deputy: Deputy;

  constructor(
    private readonly ctx: DaemonContext,
    private readonly ah: AhAuth,
    private readonly notifiers: NotifyDispatch,
    private readonly sync: SyncGroups,
  ) {
    this.deputy = new Deputy(ctx, (inst, priority) => this.sendAdvert(inst, priority), (inst) => this.execute(inst, { type: 'removeVips' }));
  }

  /** A VRRP actor's step: record its state, then execute its intents in order. */
  onEffects(id: string, msg: FromVrrpActor): void {
    const inst = this.ctx.insts.get(msg.instance);
    if (!inst || inst.id !== id) return;
    const receivedAt = msg.timing ? monoNow() : 0;
    const before = inst.sentAt;
    this.executeAll(inst, this.deputy.accept(inst, msg));
    if (msg.timing && inst.sentAt !== before && inst.sentAt !== undefined) {
      const takeover = msg.intents.some((i) => i.type === 'transition' && i.to === 'MASTER');
      (inst.timing ??= new AdvertTiming()).record(msg.timing, receivedAt, inst.sentAt, takeover, inst.lastRxAt ?? null);
    }
    if (msg.state.state === 'STOP' && inst.stopped) {
      const done = inst.stopped;
      inst.stopped = undefined;
      void inst.queue.then(done);
    }
  }

  /**
   * The supervisor gave up on an instance's actor: nothing advertises for it any more, so a MASTER
   * must not keep the VIPs (its BACKUP takes over after the master-down timer and two nodes would
   * answer ARP for them). The state machine's own fault step takes it to FAULT (gave-up.ts) and
   * its intents are carried out here: priority 0 advert, VIPs released, FAULT notify.
   */
  actorGaveUp(id: string): void {
    const inst = [...this.ctx.insts.values()].find((i) => i.id === id);
    if (!inst || this.ctx.stopping) return;
    const s = gaveUpStep(inst.r.params, inst.state, monoNow());
    inst.state = s.state;
    this.executeAll(inst, s.intents);
  }

  /** Open the packet sockets of the instance's VIPs now: the first GARP must not wait for them. */
  prepare(inst: Inst): void {
    for (const v of [...inst.r.vips, ...inst.r.excluded]) {
      try {
        this.packetSocket(v.dev ?? inst.r.vipIfname);
      } catch (e) {
        this.ctx.log.warn({ code: (e as { code?: string }).code ?? 'E_IO_SOCKET', instance: inst.vi.name, err: e }, `(${inst.vi.name}) cannot open a packet socket on ${v.dev ?? inst.r.vipIfname}: gratuitous ARP/NA will be retried`);
      }
    }
    this.warmUp(inst);
  }

  /**
   * keepalived at start-up: VIPs left on the interface by an earlier run (kill -9 leaves them) are
   * removed before the instance runs, so a node that comes back as BACKUP never answers ARP for a
   * VIP its peer holds. Queued first, so a MASTER's addVips always comes after it.
   */
  removeStale(inst: Inst): void {
    this.ctx.log.info({ instance: inst.vi.name }, `(${inst.vi.name}) removing VIPs.`);
    enqueue(this.ctx, inst, 'removing stale VIPs', async () => {
      for (const v of [...inst.r.vips, ...inst.r.excluded]) await this.vipOp('del', inst, v);
    });
    this.firewall(inst, 'init');
  }

  /** A VMAC instance left: its packet socket goes with the interface. */
  closePacketSocket(ifname: string): void {
    this.pkts.get(ifname)?.close();
    this.pkts.delete(ifname);
  }

  /** Shutdown: keepalived's nft_end removes the drop table with the daemon (kept with -X, like the VIPs it guards). */
  async cleanupFirewall(): Promise<void> {
    await this.nft?.cleanup();
  }

  close(): void {
    for (const p of this.pkts.values()) p.close();
  }

  /**
   * A MASTER whose instance changed on reload keeps the VIPs it holds (no flap, as keepalived):
   * only addresses that left the config are removed and new ones added and announced.
   */
  carryVips(old: Inst, ni: Inst): void {
    const key = (v: VirtualAddress): string => `${v.address}/${v.prefixLen}/${v.dev ?? ''}`;
    const before = new Map([...old.r.vips, ...old.r.excluded].map((v) => [key(v), v]));
    const after = new Map([...ni.r.vips, ...ni.r.excluded].map((v) => [key(v), v]));
    const gone = [...before].filter(([k]) => !after.has(k)).map(([, v]) => v);
    const added = [...after].filter(([k]) => !before.has(k)).map(([, v]) => v);
    ni.vipsHeld = true;
    // the drop set follows the held VIPs (also when accept/no_accept changed on reload)
    const fw = this.nft;
    if (fw) enqueue(this.ctx, ni, 'reload firewall', () => fw.unblock(ni.vi.name, nftVips(blocksVips(ni.vi) ? { ...old.r, vips: gone, excluded: [] } : old.r), ni.vi.dontTrackPrimary));
    this.firewall(ni, 'block');
    if (gone.length === 0 && added.length === 0) return;
    this.ctx.log.info({ instance: ni.vi.name, removed: gone.map(key), added: added.map(key) }, `(${ni.vi.name}) reload: updating VIPs`);
    enqueue(this.ctx, ni, 'reload VIPs', async () => {
      for (const v of gone) await this.vipOp('del', old, v);
      for (const v of added) await this.vipOp('add', ni, v);
    });
    if (added.length > 0) this.sendGarpBurst(ni, ni.r.params.garp.masterRepeat, ni.r.params.garp.intervalMs);
  }

  private executeAll(inst: Inst, intents: readonly Intent[]): void {
    for (const i of intents) {
      try {
        this.execute(inst, i);
      } catch (e) {
        this.ctx.log.error({ code: 'E_INTENT', instance: inst.vi.name, intent: i.type, err: e }, `(${inst.vi.name}) ${i.type} failed`);
      }
    }
  }

  private execute(inst: Inst, i: Intent): void {
    const name = inst.vi.name;
    const log = this.ctx.log;
    switch (i.type) {
      case 'sendAdvert':
        this.sendAdvert(inst, i.priority);
        if (i.priority === 0) log.info({ instance: name }, `(${name}) sent 0 priority`);
        return;
      case 'addVips':
        this.firewall(inst, 'block'); // keepalived: drop rule first, so the VIP never answers unfiltered
        log.info({ instance: name }, `(${name}) setting VIPs.`);
        inst.vipsHeld = true;
        enqueue(this.ctx, inst, 'adding VIPs', async () => {
          for (const v of [...inst.r.vips, ...inst.r.excluded]) await this.vipOp('add', inst, v);
          await installRoutes(instanceRouteSet(inst.vi), log, `(${name})`);
        });
        return;
      case 'removeVips':
        if (this.ctx.stopping && this.ctx.opts.dontReleaseVrrp) return;
        log.info({ instance: name }, `(${name}) removing VIPs.`);
        inst.vipsHeld = false;
        enqueue(this.ctx, inst, 'removing VIPs', async () => {
          await removeRoutes(instanceRouteSet(inst.vi), log, `(${name})`);
          for (const v of [...inst.r.vips, ...inst.r.excluded]) await this.vipOp('del', inst, v);
        });
        this.firewall(inst, 'unblock');
        return;
      case 'sendGarp':
        this.sendGarpBurst(inst, i.count, i.intervalMs);
        return;
      case 'transition':
        this.onTransition(inst, i.from, i.to, i.reason);
        return;
      case 'masterRxLowerPri':
        log.info({ instance: name, from: i.from, priority: i.priority }, `(${name}) Received advert from ${i.from} with lower priority ${i.priority}, ours ${inst.state?.effectivePriority ?? inst.vi.priority}${inst.r.params.lowerPrioNoAdvert ? '' : ', forcing new election'}`);
        this.notifiers.masterRxLowerPri(name, inst.notify, inst.state?.effectivePriority ?? 0);
        return;
      case 'syncWant':
        if (i.master) {
          log.info({ instance: name }, `(${name}) Receive advertisement timeout`);
          this.sync.tryMaster(inst);
        }
        return;
      case 'priorityChanged':
        log.info({ instance: name, from: i.from, to: i.to }, `(${name}) Changing effective priority from ${i.from} to ${i.to}`);
        return;
      case 'setTimer':
      case 'clearTimer':
        return; // handled inside the actor
      default: {
        const never: never = i;
        log.warn({ intent: never }, 'unknown intent dropped');
      }
    }
  }

  private onTransition(inst: Inst, from: VrrpState, to: VrrpState, reason: string): void {
    const name = inst.vi.name;
    const log = this.ctx.log;
    const extra = from === 'INIT' && to === 'BACKUP' ? ' (init)' : '';
    // keepalived's lines before the transition itself (log greps rely on them)
    const st0 = inst.state;
    if (to === 'MASTER' && reason === 'master down timer expired') log.info({ instance: name }, `(${name}) Receive advertisement timeout`);
    if (from === 'MASTER' && to === 'BACKUP' && st0?.masterAddress && st0.masterPriority !== null) {
      if (st0.masterPriority > st0.effectivePriority) log.info({ instance: name }, `(${name}) Master received advert from ${st0.masterAddress} with higher priority ${st0.masterPriority}, ours ${st0.effectivePriority}`);
      else log.info({ instance: name }, `(${name}) Master received advert from ${st0.masterAddress} with same priority ${st0.masterPriority} but higher IP address than ours`);
    }
    this.ctx.observe?.transition(name, from, to, reason, { counters: { ...inst.state?.counters }, master: inst.state?.masterAddress, effectivePriority: inst.state?.effectivePriority, vipsHeld: inst.vipsHeld });
    // -X: an instance that is not MASTER releases its VIPs even if this run did not add them
    if (this.ctx.opts.releaseVips && (to === 'BACKUP' || to === 'FAULT') && !inst.vipsHeld) {
      enqueue(this.ctx, inst, 'releasing VIPs (-X)', async () => {
        for (const v of [...inst.r.vips, ...inst.r.excluded]) await this.vipOp('del', inst, v);
      });
    }
    if (to === 'STOP') log.info({ instance: name, from, to, reason }, `(${name}) Stopped`);
    else log.info({ instance: name, from, to, reason }, `(${name}) Entering ${to} STATE${extra}`);
    if (to === 'INIT') return;
    const st: NotifyState = to;
    const prio = inst.state?.effectivePriority ?? inst.vi.priority;
    enqueue(this.ctx, inst, 'notify', async () => {
      this.notifiers.instance(name, inst.notify, st, prio, inst.smtpAlert);
    });
    this.sync.onMemberTransition(inst, to);
  }

  /**
   * no_accept / vrrp_strict (keepalived's vrrp_handle_accept_mode): a blocking instance's VIPs enter
   * keepalived's nftables drop set when it becomes MASTER and leave it when it stops being MASTER.
   * Queued with the VIP operations, so the order is keepalived's (rule, VIPs / VIPs, rule).
   */
  private firewall(inst: Inst, op: 'block' | 'unblock' | 'init'): void {
    if (!blocksVips(inst.vi)) return;
    const name = inst.vi.name;
    this.ctx.log.info({ instance: name }, `(${name}) ${op === 'block' ? 'setting' : 'removing'} firewall drop rule`);
    if (op === 'init') return; // keepalived logs it at start-up but makes no table until a MASTER needs one
    const fw = (this.nft ??= new NftFirewall(nftSettings(this.ctx.cfg.globalDefs), this.ctx.log));
    const vips = nftVips(inst.r);
    const dtp = inst.vi.dontTrackPrimary;
    enqueue(this.ctx, inst, `${op === 'block' ? 'setting' : 'removing'} firewall drop rule`, () => (op === 'block' ? fw.block(name, vips, dtp) : fw.unblock(name, vips, dtp)));
  }

  private sendAdvert(inst: Inst, priority: number, dryRun = false): void {
    const counters = this.ctx.counters;
    if (dryRun && usesAh(inst.r)) return;
    if (usesAh(inst.r)) {
      counters.txAdverts++;
      inst.lastSend = this.ah.sendAdvert(inst.vi.name, priority).catch((e: { code?: string; message?: string }) => {
        counters.txErrors++;
        this.ctx.log.warn({ code: e.code ?? 'E_IO_SEND', instance: inst.vi.name }, `(${inst.vi.name}) AH advert: ${e.message}`);
      });
      return;
    }
    const r = inst.r;
    const dsts = r.group ? [r.group] : r.peers.map((p) => p.address);
    for (const dst of dsts) {
      let payload: Buffer;
      try {
        payload = advertPayload(r, priority, dst);
      } catch (e) {
        if (!dryRun) counters.txErrors++;
        this.ctx.log.error({ code: 'E_ENCODE', instance: inst.vi.name, err: e }, `(${inst.vi.name}) cannot build advert`);
        return;
      }
      if (dryRun) {
        void inst.sock.send(payload, dst, { dryRun }).catch(() => undefined);
        continue;
      }
      counters.txAdverts++;
      inst.lastSend = inst.sock.send(payload, dst).catch((e: { code?: string; message?: string }) => {
        counters.txErrors++;
        this.ctx.log.warn({ code: e.code ?? 'E_IO_SEND', instance: inst.vi.name, dst }, `(${inst.vi.name}) advert to ${dst}: ${e.message}`);
      });
      // send() issues the first sendto before it returns: this stamps the advert leaving the process
      if (dst === dsts[0]) inst.sentAt = monoNow();
    }
  }

  private async vipOp(op: 'add' | 'del', inst: Inst, v: VirtualAddress): Promise<void> {
    const spec = {
      address: v.address, prefixLen: v.prefixLen, family: v.family, dev: v.dev ?? inst.r.vipIfname,
      brd: v.brd, scope: v.scope as never, label: v.label, nodad: v.family === 6 ? true : v.nodad, noprefixroute: v.noprefixroute,
    };
    try {
      if (op === 'add') await addAddress(spec);
      else await removeAddress(spec);
    } catch (e) {
      if (alreadyDone(op, e)) return;
      this.ctx.counters.vipOpsFailed++;
      throw e;
    }
  }

  private packetSocket(ifname: string): PacketSocket {
    let s = this.pkts.get(ifname);
    if (!s) {
      s = openPacketSocket(ifname);
      this.pkts.set(ifname, s);
    }
    return s;
  }

  /** keepalived: each burst sends one GARP (IPv4) / unsolicited NA (IPv6) per VIP, `count` times. */
  private sendGarpBurst(inst: Inst, count: number, intervalMs: number): void {
    const vips = [...inst.r.vips, ...inst.r.excluded];
    const sendOne = (): void => {
      if (!inst.vipsHeld) return;
      for (const v of vips) {
        try {
          const s = this.packetSocket(v.dev ?? inst.r.vipIfname);
          const frame = v.family === 4
            ? gratuitousArp(s.mac, v.address)
            : unsolicitedNaFrame({ mac: s.mac, src: v.address, target: v.address, router: forwarding6(s.ifname) });
          s.send(frame);
          this.ctx.counters.garpSent++;
        } catch (e) {
          this.ctx.log.warn({ code: (e as { code?: string }).code ?? 'E_GARP', instance: inst.vi.name, err: e }, `(${inst.vi.name}) gratuitous ARP/NA failed`);
        }
      }
    };
    const burst = (): void => {
      for (let n = 0; n < count; n++) {
        if (intervalMs <= 0 || n === 0) sendOne();
        else setTimeout(sendOne, n * intervalMs).unref();
      }
    };
    // keepalived sends the advert first and the GARPs ~0.2 ms after it. Our advert went to the
    // kernel synchronously (VrrpSocket sendNow), so the burst follows at once; AH adverts go
    // through raw-socket's queue, so there the burst waits for the send.
    if (usesAh(inst.r)) void inst.lastSend.then(burst);
    else burst();
    if (count > 0 && vips.length > 0) {
      const first = vips[0]!;
      this.ctx.log.info({ instance: inst.vi.name }, `(${inst.vi.name}) Sending/queueing gratuitous ARPs on ${first.dev ?? inst.r.vipIfname} for ${first.address}`);
    }
  }

  /**
   * A BACKUP builds its first advert and GARP at the takeover, the one moment that is measured;
   * build both once now (nothing is sent) so V8 has compiled that path already: run cold, the
   * advert's path from the actor's message to the sendto took ~0.8 ms more (bench/README.md).
   */
  private warmUp(inst: Inst): void {
    try {
      const r = inst.r;
      this.sendAdvert(inst, r.params.priority, true);
      const v = r.vips[0];
      if (v && v.family === 4) gratuitousArp('02:00:00:00:00:00', v.address);
      else if (v) unsolicitedNaFrame({ mac: '02:00:00:00:00:00', src: v.address, target: v.address, router: false });
    } catch {
      /* warm-up only */
    }
  }
}

function forwarding6(ifname: string): boolean {
  try {
    return fs.readFileSync(`/proc/sys/net/ipv6/conf/${ifname}/forwarding`, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}
