/**
 * Desired IPVS table vs the kernel's → the fewest operations that make the kernel match, pure.
 * As keepalived (check/ipwrapper.c clear_diff_services / clear_diff_rs on reload): what is unchanged
 * is never touched (live connections survive a reload and a restart), a changed scheduler, flag,
 * persistence, weight, threshold or forwarding method is an edit (SET), never a delete and re-add,
 * and only what we installed ourselves (`owned`) is ever removed: services and destinations that
 * someone else put in the kernel are left alone.
 */
import { SvcFlag, serviceKeyText, hostPort, type IpvsDest, type IpvsService, type ServiceKey } from '../../protocol/ipvs';

export type IpvsOp =
  | { op: 'flush' }
  | { op: 'add-service'; service: IpvsService }
  | { op: 'edit-service'; service: IpvsService }
  | { op: 'del-service'; service: IpvsService }
  | { op: 'add-dest'; service: IpvsService; dest: IpvsDest }
  | { op: 'edit-dest'; service: IpvsService; dest: IpvsDest }
  | { op: 'del-dest'; service: IpvsService; dest: IpvsDest };

export interface TableEntry {
  service: IpvsService;
  dests: IpvsDest[];
}

/** Names of the services ("TCP 192.0.2.1:80") and destinations ("TCP 192.0.2.1:80 -> 198.51.100.2:80") we installed. */
export type Owned = ReadonlySet<string>;

export const svcName = (k: ServiceKey): string => serviceKeyText(k);
export const destName = (k: ServiceKey, d: Pick<IpvsDest, 'address' | 'port'>): string => `${serviceKeyText(k)} -> ${hostPort(d.address, d.port)}`;

/** The kernel adds IP_VS_SVC_F_HASHED to every service it reports; it is not ours to set. */
const svcFlags = (f: number): number => f & ~SvcFlag.HASHED;

export function sameService(a: IpvsService, b: IpvsService): boolean {
  return a.scheduler === b.scheduler && svcFlags(a.flags) === svcFlags(b.flags) && a.timeout === b.timeout &&
    a.netmask === b.netmask && (a.peName ?? '') === (b.peName ?? '');
}

export function sameDest(a: IpvsDest, b: IpvsDest): boolean {
  const tun = (d: IpvsDest) => (d.fwd === 'tunnel' ? `${d.tunType ?? 'ipip'}/${d.tunPort ?? 0}/${d.tunFlags ?? 0}` : '');
  return a.fwd === b.fwd && a.weight === b.weight && a.uThreshold === b.uThreshold && a.lThreshold === b.lThreshold && tun(a) === tun(b);
}

/** Operations that turn `kernel` into `desired`, touching only what differs. */
export function reconcile(desired: readonly TableEntry[], kernel: readonly TableEntry[], owned: Owned): IpvsOp[] {
  const ops: IpvsOp[] = [];
  const have = new Map(kernel.map((e) => [svcName(e.service), e]));
  const wanted = new Set<string>();
  for (const want of desired) {
    const name = svcName(want.service);
    if (wanted.has(name)) continue; // two virtual servers naming one service: the first wins, as in the kernel
    wanted.add(name);
    const cur = have.get(name);
    if (!cur) {
      ops.push({ op: 'add-service', service: want.service });
      for (const dest of want.dests) ops.push({ op: 'add-dest', service: want.service, dest });
      continue;
    }
    if (!sameService(want.service, cur.service)) ops.push({ op: 'edit-service', service: want.service });
    const curDests = new Map(cur.dests.map((d) => [destName(want.service, d), d]));
    const wantDests = new Set<string>();
    for (const dest of want.dests) {
      const dn = destName(want.service, dest);
      wantDests.add(dn);
      const c = curDests.get(dn);
      if (!c) ops.push({ op: 'add-dest', service: want.service, dest });
      else if (!sameDest(dest, c)) ops.push({ op: 'edit-dest', service: want.service, dest });
    }
    for (const [dn, c] of curDests) {
      if (!wantDests.has(dn) && owned.has(dn)) ops.push({ op: 'del-dest', service: want.service, dest: c });
    }
  }
  for (const [name, cur] of have) {
    if (!wanted.has(name) && owned.has(name)) ops.push({ op: 'del-service', service: cur.service });
  }
  return ops;
}

/** What we own once `ops` have been applied towards `desired`: everything desired, minus what was removed. */
export function ownedAfter(owned: Owned, desired: readonly TableEntry[], ops: readonly IpvsOp[]): Set<string> {
  const out = new Set(owned);
  for (const op of ops) {
    if (op.op === 'flush') out.clear();
    else if (op.op === 'del-service') {
      const prefix = `${svcName(op.service)} -> `;
      out.delete(svcName(op.service));
      for (const n of [...out]) if (n.startsWith(prefix)) out.delete(n);
    } else if (op.op === 'del-dest') out.delete(destName(op.service, op.dest));
  }
  for (const e of desired) {
    out.add(svcName(e.service));
    for (const d of e.dests) out.add(destName(e.service, d));
  }
  return out;
}

/** `lvs_flush_on_stop`: absent = keepalived's default (remove what we added), 'full' (no argument) or 'VS'. */
export type FlushOnStop = 'none' | 'full' | 'vs';

/**
 * What keepalived does to the table at stop (check/ipwrapper.c clear_services): `full` flushes the
 * whole table; `vs` deletes each of its services; by default it first removes each of its
 * destinations (inhibited ones included), then its services. Services it did not add stay.
 */
export function stopOps(kernel: readonly TableEntry[], owned: Owned, mode: FlushOnStop): IpvsOp[] {
  if (mode === 'full') return [{ op: 'flush' }];
  const ops: IpvsOp[] = [];
  for (const e of kernel) {
    const name = svcName(e.service);
    if (mode === 'none') {
      for (const d of e.dests) if (owned.has(destName(e.service, d))) ops.push({ op: 'del-dest', service: e.service, dest: d });
    }
    if (owned.has(name)) ops.push({ op: 'del-service', service: e.service });
  }
  return ops;
}
