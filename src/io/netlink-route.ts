/**
 * Routes and policy rules over rtnetlink, sending what `ip route add|del` and `ip rule add|del`
 * send (RTM_NEWROUTE/RTM_DELROUTE, RTM_NEWRULE/RTM_DELRULE) for keepalived's virtual_routes,
 * virtual_rules, static_routes and static_rules. Routes are tagged with protocol 18
 * ("keepalived" in iproute2's rt_protos), as keepalived tags its own.
 */
import { FlagsNew, type rt } from 'netlink';
import { IoError } from './errors';
import { addrToBuffer, AF_INET, AF_INET6, familyOf, nlRequest } from './netlink';
import { scopeNumber, type ScopeName } from './netlink-addr';
import { interfaceInfo } from './packet-socket';

/** keepalived's RTPROT_KEEPALIVED */
export const RTPROT_KEEPALIVED = 18;
const RT_TABLE_MAIN = 254;
const TABLE_NAMES: Record<string, number> = { unspec: 0, default: 253, main: 254, local: 255 };

export type RouteType = 'unicast' | 'local' | 'broadcast' | 'anycast' | 'multicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw';
const ROUTE_TYPES: Record<RouteType, number> = {
  unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7, prohibit: 8, throw: 9,
};

export interface RouteSpec {
  /** 'default', 'A.B.C.D/LEN', an address (host route) or an IPv6 prefix */
  to: string;
  /** needed only for 'default' (default 4) */
  family?: 4 | 6;
  via?: string;
  dev?: string;
  /** preferred source (`src`) */
  src?: string;
  /** number or main/local/default (default main) */
  table?: number | string;
  /** `metric` / `preference` (RTA_PRIORITY) */
  metric?: number;
  /** default as `ip route`: link for a unicast route without gateway, host for local, else global */
  scope?: ScopeName | number;
  type?: RouteType;
  /** default RTPROT_KEEPALIVED */
  protocol?: number;
  onlink?: boolean;
}

export interface RuleSpec {
  family?: 4 | 6;
  from?: string;
  to?: string;
  /** number or main/local/default; the action is `lookup` when a table is given */
  table?: number | string;
  /** `priority`/`preference`/`pref` */
  priority?: number;
  fwmark?: number;
  iif?: string;
  oif?: string;
  /** default 'lookup' when table is set, else 'blackhole'-free `ip rule` default: lookup main */
  action?: 'lookup' | 'blackhole' | 'unreachable' | 'prohibit';
}

export function tableNumber(t: number | string | undefined): number {
  if (t === undefined) return RT_TABLE_MAIN;
  if (typeof t === 'number') return t;
  const named = TABLE_NAMES[t];
  if (named !== undefined) return named;
  if (/^\d+$/.test(t)) return Number(t);
  throw new IoError('E_IO_ARG', `unknown routing table ${t}`);
}

/** Splits 'A/LEN' (or an address, or 'default') into bytes and prefix length. */
function prefixOf(p: string, family: 4 | 6 | undefined): { family: 4 | 6; addr?: Buffer; len: number } {
  if (p === 'default' || p === 'all' || p === 'any') return { family: family ?? 4, len: 0 };
  const [a, l] = p.split('/');
  const fam = familyOf(a ?? '');
  if (family !== undefined && family !== fam) throw new IoError('E_IO_ARG', `${p} is not IPv${family}`);
  const max = fam === 4 ? 32 : 128;
  const len = l === undefined ? max : Number(l);
  if (!Number.isInteger(len) || len < 0 || len > max) throw new IoError('E_IO_ARG', `bad prefix ${p}`);
  return { family: fam, addr: addrToBuffer(a ?? ''), len };
}

function routeMessage(r: RouteSpec, forDelete: boolean): { data: rt.Route; attrs: rt.RouteAttrs; what: string } {
  const dst = prefixOf(r.to, r.family ?? (r.via ? familyOf(r.via) : undefined));
  const type = r.type ?? 'unicast';
  const typeNum = ROUTE_TYPES[type];
  if (typeNum === undefined) throw new IoError('E_IO_ARG', `unknown route type ${String(type)}`);
  const table = tableNumber(r.table);
  const defScope = type === 'local' ? 'host' : type === 'unicast' && !r.via ? 'link' : 'global';
  const data: rt.Route = {
    family: dst.family === 4 ? AF_INET : AF_INET6,
    dstLen: dst.len,
    table: table < 256 ? table : 0,
    protocol: forDelete ? undefined : (r.protocol ?? RTPROT_KEEPALIVED),
    scope: scopeNumber(r.scope ?? (forDelete ? 'nowhere' : defScope)),
    type: typeNum,
  };
  const attrs: rt.RouteAttrs = { table };
  if (dst.addr) attrs.dst = dst.addr;
  if (r.via) attrs.gateway = addrToBuffer(r.via);
  if (r.dev) attrs.oif = interfaceInfo(r.dev).ifindex;
  if (r.src) attrs.prefsrc = addrToBuffer(r.src);
  if (r.metric !== undefined) attrs.priority = r.metric;
  if (r.onlink) data.flags = { __unknown: 4 } as rt.RouteFlags; // RTNH_F_ONLINK lives in rtm_flags
  const what = `${type === 'unicast' ? '' : `${type} `}${r.to}${r.via ? ` via ${r.via}` : ''}${r.dev ? ` dev ${r.dev}` : ''}${table !== RT_TABLE_MAIN ? ` table ${table}` : ''}`;
  return { data, attrs, what };
}

/** `ip route add`. Rejects with IoError E_NETLINK, errno 'EEXIST' if the route is already there. */
export async function addRoute(r: RouteSpec): Promise<void> {
  const { data, attrs, what } = routeMessage(r, false);
  await nlRequest(`add route ${what}`, (s) => s.newRoute(data, attrs, { flags: FlagsNew.CREATE | FlagsNew.EXCL }));
}

/** `ip route del`. Rejects with IoError E_NETLINK, errno 'ESRCH' if there is no such route. */
export async function removeRoute(r: RouteSpec): Promise<void> {
  const { data, attrs, what } = routeMessage(r, true);
  await nlRequest(`delete route ${what}`, (s) => s.delRoute(data, attrs));
}

const FR_ACT: Record<NonNullable<RuleSpec['action']>, number> = { lookup: 1, blackhole: 6, unreachable: 7, prohibit: 8 };

function ruleMessage(r: RuleSpec): { data: rt.Rule; attrs: rt.RuleAttrs; what: string } {
  const from = r.from ? prefixOf(r.from, r.family) : undefined;
  const to = r.to ? prefixOf(r.to, r.family ?? from?.family) : undefined;
  const family = r.family ?? from?.family ?? to?.family ?? 4;
  const action = r.action ?? 'lookup';
  const table = action === 'lookup' ? tableNumber(r.table) : 0;
  const data: rt.Rule = {
    family: family === 4 ? AF_INET : AF_INET6,
    srcLen: from?.len ?? 0,
    dstLen: to?.len ?? 0,
    table: table < 256 ? table : 0,
    action: FR_ACT[action],
  };
  const attrs: rt.RuleAttrs = {};
  if (action === 'lookup') attrs.table = table;
  if (from?.addr) attrs.src = from.addr;
  if (to?.addr) attrs.dst = to.addr;
  if (r.priority !== undefined) attrs.priority = r.priority;
  if (r.fwmark !== undefined) attrs.fwmark = r.fwmark;
  if (r.iif) attrs.iifname = r.iif;
  if (r.oif) attrs.oifname = r.oif;
  const what = `${r.from ? `from ${r.from} ` : ''}${r.to ? `to ${r.to} ` : ''}${action === 'lookup' ? `lookup ${table}` : action}${r.priority !== undefined ? ` pref ${r.priority}` : ''}`;
  return { data, attrs, what };
}

/** `ip rule add`. Rejects with IoError E_NETLINK, errno 'EEXIST' if the same rule is there. */
export async function addRule(r: RuleSpec): Promise<void> {
  const { data, attrs, what } = ruleMessage(r);
  await nlRequest(`add rule ${what}`, (s) => s.newRule(data, attrs, { flags: FlagsNew.CREATE | FlagsNew.EXCL }));
}

/** `ip rule del`. Rejects with IoError E_NETLINK, errno 'ENOENT' if there is no such rule. */
export async function removeRule(r: RuleSpec): Promise<void> {
  const { data, attrs, what } = ruleMessage(r);
  await nlRequest(`delete rule ${what}`, (s) => s.delRule(data, attrs));
}
