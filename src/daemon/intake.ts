/**
 * Advert intake: one VRRP socket per interface, family, source and destination set, shared by the
 * instances that use it; every packet that arrives is decoded and put through the RFC 3768 §7.1 /
 * RFC 5798 §7.1 receive checks in keepalived's order. A good advert becomes an `advert` message to
 * its instance's VRRP actor; a bad one is dropped and counted (per socket or per instance, by reason).
 */
import { openVrrpSocket, type VrrpSocket, type ReceivedAdvert } from '../io';
import { decodeVrrp, checkAdvert, skipAddrCheck } from '../protocol/vrrp';
import { monoNow } from '../actors/runtime';
import { VRRP } from '../actors/kinds';
import type { VrrpEvent } from '../actors/vrrp/types';
import { bump, type DaemonContext, type Inst } from './context';
import type { ResolvedInstance } from './instance';
import { usesAh, type AhAuth } from './ah-auth';

interface SockRec {
  sock: VrrpSocket;
  users: Set<string>;
  drops: Record<string, number>;
}

export class AdvertIntake {
  private readonly socks = new Map<string, SockRec>();
  /** Told of every accepted advert after its actor (the deputy, src/daemon/deputy.ts). */
  heard: ((inst: Inst, e: Extract<VrrpEvent, { type: 'advert' }>) => void) | null = null;

  constructor(private readonly ctx: DaemonContext, private readonly ah: AhAuth) {}

  /** The socket `r` receives and sends on (opened on first use), now used by instance `name` too. */
  acquire(r: ResolvedInstance, name: string): { sock: VrrpSocket; key: string } {
    const key = `${r.sockIfname}|${r.family}|${r.src}|${r.group ?? r.peers.map((p) => p.address).join(',')}`;
    let rec = this.socks.get(key);
    if (!rec) {
      const sock = openVrrpSocket({
        family: r.family,
        ifname: r.sockIfname,
        mcastGroup: r.group ?? undefined,
        unicastSrc: r.src,
        unicastPeers: r.peers.map((p) => p.address),
      });
      const created: SockRec = { sock, users: new Set(), drops: {} };
      sock.on('advert', (ra) => this.onAdvert(created, ra));
      sock.on('error', (e) => this.ctx.log.error({ code: e.code, err: e, ifname: r.ifname }, e.message));
      this.socks.set(key, created);
      rec = created;
    }
    rec.users.add(name);
    return { sock: rec.sock, key };
  }

  /** An AH instance's adverts arrive through src/daemon/ah-auth.ts and join the same checks here. */
  attachAh(inst: Inst): void {
    const rec = this.socks.get(inst.sockKey);
    if (!rec || !usesAh(inst.r)) return;
    this.ah.attach(inst.r, (ra) => this.onAdvert(rec, ra), (reason) => {
      bump(inst.drops, reason);
      this.ctx.counters.rxTotal++;
      this.ctx.counters.rxDropped++;
    });
  }

  /** Instance `inst` stopped: its socket closes with its last user. */
  release(inst: Inst): void {
    this.ah.detach(inst.vi.name);
    const rec = this.socks.get(inst.sockKey);
    if (!rec) return;
    rec.users.delete(inst.vi.name);
    if (rec.users.size === 0) {
      rec.sock.close();
      this.socks.delete(inst.sockKey);
    }
  }

  close(): void {
    for (const s of this.socks.values()) s.sock.close();
    this.ah.close();
  }

  /** The sockets' part of the state dump. */
  state(): { key: string; stats: VrrpSocket['stats']; dropped: Record<string, number> }[] {
    return [...this.socks.entries()].map(([key, s]) => ({ key, stats: s.sock.stats, dropped: s.drops }));
  }

  private instBySock(rec: SockRec, vrid: number): Inst | undefined {
    for (const name of rec.users) {
      const i = this.ctx.insts.get(name);
      if (i && i.r.params.vrid === vrid) return i;
    }
    return undefined;
  }

  /** RFC 3768 §7.1 / RFC 5798 §7.1 receive checks, in keepalived's order; a bad packet is dropped and counted. */
  private onAdvert(rec: SockRec, ra: ReceivedAdvert): void {
    const rxAt = monoNow();
    const counters = this.ctx.counters;
    counters.rxTotal++;
    try {
      const d = decodeVrrp(ra.payload, { family: ra.family, src: ra.src, dst: ra.dst });
      if (!d.ok) {
        bump(rec.drops, d.reason);
        counters.rxDropped++;
        this.ctx.log.debug({ ifname: ra.ifname, src: ra.src, reason: d.reason }, 'VRRP packet dropped');
        return;
      }
      const p = d.packet;
      const inst = this.instBySock(rec, p.vrid);
      if (!inst) {
        bump(rec.drops, 'unknown-vrid');
        counters.rxDropped++;
        return;
      }
      if (ra.src === inst.r.src) return; // our own advert looped back
      if (usesAh(inst.r) && !this.ah.cameThroughAh(ra.payload)) {
        bump(inst.drops, 'auth-type-mismatch'); // keepalived: "No AH header but auth type is AH"
        counters.rxDropped++;
        return;
      }
      const st = inst.state?.state ?? 'INIT';
      const reason = checkAdvert(p, {
        vrid: inst.r.params.vrid,
        version: inst.r.params.version,
        family: inst.r.family,
        adverInt: inst.r.params.advertIntCs / 100,
        authType: inst.r.authType,
        authPass: inst.r.authPass,
        addresses: inst.r.params.vips,
        skipCheckAdvAddr: skipAddrCheck({
          skipCheckAdvAddr: inst.r.skipCheckAdvAddr,
          state: st === 'STOP' ? 'INIT' : st,
          src: ra.src,
          masterSrc: inst.state?.masterAddress ?? null,
        }),
        ttl: ra.ttl,
        strict: inst.r.strict,
        unicast: inst.r.peers.length > 0 ? { peers: inst.r.peers, checkSrc: inst.r.checkUnicastSrc } : undefined,
        src: ra.src,
        dst: ra.dst,
      });
      if (reason && reason !== 'addr-mismatch-accepted') {
        bump(inst.drops, reason);
        counters.rxDropped++;
        this.ctx.log.debug({ instance: inst.vi.name, src: ra.src, reason }, `(${inst.vi.name}) advert dropped: ${reason}`);
        return;
      }
      inst.rxAccepted++;
      inst.lastRxAt = rxAt;
      this.ctx.sup.send(VRRP, inst.id, { type: 'advert', from: ra.src, priority: p.priority, maxAdverIntCs: p.maxAdverIntCs, rxAt });
      this.heard?.(inst, { type: 'advert', now: rxAt, from: ra.src, priority: p.priority, maxAdverIntCs: p.maxAdverIntCs });
    } catch (e) {
      bump(rec.drops, 'exception');
      counters.rxDropped++;
      this.ctx.log.warn({ code: 'E_RX', err: e }, 'VRRP packet handling failed; dropped');
    }
  }
}
