/**
 * `auth_type AH` (VRRPv2 over IPv4) as keepalived 2.2.7 carries it out (vrrp.c vrrp_update_pkt,
 * vrrp_in_chk_ipsecah): adverts leave as IPv4 (protocol 51) + AH + VRRP on a protocol-51 raw
 * socket, and arriving ones are checked before the usual RFC 3768 §7.1 checks:
 *  - next header must be VRRP, the HMAC-MD5-96 ICV must match (mutable IP fields zeroed, TTL too
 *    with unicast peers), the SPI must be the source address;
 *  - the sequence number must be above the instance's counter, which then takes its value. The
 *    counter is the one the instance also sends with (+1 per advert), as in keepalived, so a new
 *    MASTER continues above the sequence it last heard.
 * A datagram that fails is dropped and counted by reason; one that passes is handed on as the VRRP
 * message alone, like the protocol-112 socket would deliver it. Adverts without AH reaching an AH
 * instance ("No AH header but auth type is AH") are refused through `cameThroughAh`.
 */
import type { Logger } from '../util/log';
import { openAhSocket, type AhSocket, type ReceivedAdvert, type ReceivedAhDatagram } from '../io';
import { AH_LEN, verifyAh } from '../protocol/ah';
import { encodeVrrpDatagram } from '../protocol/datagram';
import { VRRP_AUTH_AH } from '../protocol/vrrp';
import type { ResolvedInstance } from './instance';

interface Session {
  r: ResolvedInstance;
  /** keepalived's ipsecah_counter.seq_number: last sequence sent or accepted */
  seq: number;
  ipId: number;
  sockKey: string;
  deliver: (ra: ReceivedAdvert) => void;
  drop: (reason: string, detail: string) => void;
}

interface SockRec {
  sock: AhSocket;
  users: Set<string>;
}

const MAX_SEQ = 0xfffffffd;

export function usesAh(r: ResolvedInstance): boolean {
  return r.family === 4 && r.params.version === 2 && r.authType === VRRP_AUTH_AH;
}

export class AhAuth {
  private readonly sessions = new Map<string, Session>();
  private readonly socks = new Map<string, SockRec>();
  /** VRRP payloads handed on after a good AH check (so the receive path can tell them apart) */
  private readonly verified = new WeakSet<Buffer>();
  /** counters of detached instances: a reload restarting an instance must not go back to 0 */
  private readonly lastSeq = new Map<string, number>();

  constructor(private readonly log: Logger) {}

  /**
   * Starts AH for an instance: its adverts go out through sendAdvert, and verified adverts come
   * back through `deliver`; failed ones through `drop(reason)`. Throws IoError if the socket fails.
   */
  attach(r: ResolvedInstance, deliver: (ra: ReceivedAdvert) => void, drop: (reason: string, detail: string) => void): void {
    if (!usesAh(r)) return;
    const key = `${r.sockIfname}|${r.group ?? r.peers.map((p) => p.address).join(',')}`;
    let rec = this.socks.get(key);
    if (!rec) {
      const sock = openAhSocket({ ifname: r.sockIfname, mcastGroup: r.group ?? undefined, unicastPeers: r.peers.map((p) => p.address), src: r.src });
      const created: SockRec = { sock, users: new Set() };
      sock.on('datagram', (d) => this.onDatagram(created, d));
      sock.on('error', (e) => this.log.error({ code: e.code, err: e, ifname: r.sockIfname }, e.message));
      this.socks.set(key, created);
      rec = created;
    }
    rec.users.add(r.name);
    this.sessions.set(r.name, { r, seq: this.sessions.get(r.name)?.seq ?? this.lastSeq.get(r.name) ?? 0, ipId: 0, sockKey: key, deliver, drop });
  }

  detach(name: string): void {
    const s = this.sessions.get(name);
    if (!s) return;
    this.sessions.delete(name);
    this.lastSeq.set(name, s.seq);
    const rec = this.socks.get(s.sockKey);
    if (!rec) return;
    rec.users.delete(name);
    if (rec.users.size === 0) {
      rec.sock.close();
      this.socks.delete(s.sockKey);
    }
  }

  close(): void {
    for (const rec of this.socks.values()) rec.sock.close();
    this.socks.clear();
    this.sessions.clear();
  }

  /** True when `payload` came out of a good AH check. */
  cameThroughAh(payload: Buffer): boolean {
    return this.verified.has(payload);
  }

  /** Builds and sends one advert (one sequence number for all destinations, as keepalived). */
  async sendAdvert(name: string, priority: number): Promise<void> {
    const s = this.sessions.get(name);
    const rec = s && this.socks.get(s.sockKey);
    if (!s || !rec) throw new Error(`(${name}) no AH session`);
    const r = s.r;
    if (s.seq <= MAX_SEQ) s.seq++;
    s.ipId = s.ipId >= 0xffff ? 1 : s.ipId + 1;
    const unicast = r.peers.length > 0;
    const dsts = r.group ? [r.group] : r.peers.map((p) => p.address);
    for (const dst of dsts) {
      const dgram = encodeVrrpDatagram(
        {
          version: 2, vrid: r.params.vrid, priority, addresses: r.params.vips,
          adverInt: Math.max(1, Math.round(r.params.advertIntCs / 100)), authType: VRRP_AUTH_AH,
        },
        { src: r.src, dst, id: s.ipId },
        { ah: { seq: s.seq, authPass: r.authPass ?? '', unicast } },
      );
      await rec.sock.sendDatagram(dgram, dst);
    }
  }

  private onDatagram(rec: SockRec, d: ReceivedAhDatagram): void {
    const ihl = ((d.datagram[0] ?? 0) & 0x0f) * 4;
    const vrid = d.datagram[ihl + AH_LEN + 1];
    let s: Session | undefined;
    for (const name of rec.users) {
      const c = this.sessions.get(name);
      if (c && c.r.params.vrid === vrid) s = c;
    }
    if (!s) return; // another router's AH traffic: the protocol-112 path counts unknown VRIDs
    if (d.src === s.r.src) return; // our own, looped back
    const res = verifyAh(d.datagram, { authPass: s.r.authPass ?? '', unicast: s.r.peers.length > 0, lastSeq: s.seq });
    if (!res.ok) {
      this.log.info({ instance: s.r.name, src: d.src, reason: res.reason, detail: res.detail }, `(${s.r.name}) IPSEC-AH : ${res.detail} - packet from ${d.src} dropped`);
      s.drop(res.reason, res.detail);
      return;
    }
    s.seq = res.seq;
    const payload = Buffer.from(d.datagram.subarray(ihl + AH_LEN));
    this.verified.add(payload);
    s.deliver({ family: 4, src: d.src, dst: d.dst, ttl: d.ttl, payload, ifname: d.ifname });
  }
}
