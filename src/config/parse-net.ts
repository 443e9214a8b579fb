/** Addresses, routes and rules (virtual_*, static_*): keepalived.conf(5)'s ip / ip route / ip rule syntax. */
import * as net from 'node:net';
import type { ConfigBuilder } from './parse';
import type { GenericNode as N, RouteNexthop, VirtualAddress, VirtualRoute, VirtualRule } from './model';

export function isIp(s: string): 4 | 6 | 0 {
  return net.isIP(s) as 4 | 6 | 0;
}

/** Rule options keepalived 2.2.7 (vrrp_iprule.c) takes with a value, besides from/to/table/preference. */
const RULE_VALUED = new Set('tos dsfield fwmark realms suppress_prefixlength sup_pl suppress_ifgroup sup_group dev iif oif tunnel-id uidrange protocol ipproto sport dport track_group type goto'.split(' '));

/** `<ip>[/<mask>] [brd X] [dev X] [scope X] [label X] [peer X] [nodad] [noprefixroute] ...` */
export function address(cb: ConfigBuilder, n: N): VirtualAddress | undefined {
  const words = [n.keyword, ...n.args];
  const raw = words.join(' ');
  const [ip, mask] = words[0].split('/', 2);
  const family = isIp(ip);
  if (!family) {
    cb.d.error('E_CONFIG_SYNTAX', n.file, n.line, `VRRP parsed invalid IP ${words[0]}. skipping IP...`);
    return undefined;
  }
  const max = family === 4 ? 32 : 128;
  let prefixLen = max;
  if (mask !== undefined) {
    if (!/^\d+$/.test(mask) || Number(mask) > max) {
      cb.d.error('E_CONFIG_RANGE', n.file, n.line, `${words[0]}: prefix length must be in [0, ${max}]`);
      return undefined;
    }
    prefixLen = Number(mask);
  }
  const a: VirtualAddress = { address: ip, prefixLen, family, raw, file: n.file, line: n.line };
  for (let i = 1; i < words.length; i++) {
    const w = words[i];
    const val = (): string | undefined => {
      const v = words[i + 1];
      if (v === undefined) cb.d.error('E_CONFIG_SYNTAX', n.file, n.line, `${words[0]}: '${w}' needs a value`);
      i++;
      return v;
    };
    switch (w) {
      case 'brd': case 'broadcast': a.brd = val(); break;
      case 'dev': a.dev = val(); break;
      case 'scope': a.scope = val(); break;
      case 'label': a.label = val(); break;
      case 'peer': a.peer = val(); break;
      case 'preferred_lft': a.preferredLft = val(); break;
      case 'track_group': a.trackGroup = val(); break;
      case 'mngtmpaddr': a.mngtmpaddr = true; break;
      case 'use_vmac': a.useVmac = true; break;
      case 'nodad': case '-nodad': a.nodad = true; break;
      case 'noprefixroute': a.noprefixroute = true; break;
      case 'home': case 'homeaddress': a.homeaddress = true; break;
      case 'autojoin': a.autojoin = true; break;
      case 'track': a.track = true; break;
      case 'no_track': a.noTrack = true; break;
      default: cb.d.warn('E_CONFIG_SYNTAX', n.file, n.line, `${words[0]}: unknown address option '${w}' - ignoring`);
    }
  }
  if (a.brd !== undefined && a.brd !== '-' && a.brd !== '+' && !isIp(a.brd)) cb.d.error('E_CONFIG_SYNTAX', n.file, n.line, `${words[0]}: brd: expected an address, + or -`);
  return a;
}

export function route(cb: ConfigBuilder, n: N): VirtualRoute | undefined {
  const words = [n.keyword, ...n.args];
  const r: VirtualRoute = { to: '', family: 4, options: {}, raw: words.join(' '), file: n.file, line: n.line };
  const VALUED = new Set(['src', 'via', 'gw', 'or', 'dev', 'table', 'metric', 'priority', 'preference', 'scope', 'track_group', 'vrf', 'proto', 'protocol', 'realms', 'mtu', 'advmss', 'rtt', 'rttvar', 'reordering', 'window', 'cwnd', 'initcwnd', 'initrwnd', 'ssthresh', 'rto_min', 'hoplimit', 'features', 'quickack', 'congctl', 'pref', 'fastopen_no_cookie', 'ttl-propagate', 'tos', 'dsfield', 'nexthop', 'expires', 'encap', 'weight', 'onlink', 'mtu_lock']);
  const TYPES = new Set(['unicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'local', 'broadcast', 'multicast', 'anycast', 'nat']);
  // metrics may carry 'lock' before their value (ip route: `mtu lock 1400`)
  const LOCKABLE = new Set(['mtu', 'advmss', 'rtt', 'rttvar', 'reordering', 'window', 'cwnd', 'initcwnd', 'initrwnd', 'ssthresh', 'rto_min', 'hoplimit']);
  let nexthop: RouteNexthop | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === 'to') continue;
    // `nexthop via X [dev Y] [weight N] [onlink]`, repeated: everything after the first one belongs to a nexthop
    if (w === 'nexthop') { nexthop = { options: {} }; (r.nexthops ??= []).push(nexthop); continue; }
    if (nexthop) {
      if (w === 'onlink') { nexthop.onlink = true; continue; }
      const v = words[i + 1];
      i++;
      if (v === undefined) { cb.d.error('E_CONFIG_SYNTAX', n.file, n.line, `route: nexthop '${w}' needs a value`); break; }
      if (w === 'via') nexthop.via = v;
      else if (w === 'dev') nexthop.dev = v;
      else if (w === 'weight') nexthop.weight = /^\d+$/.test(v) ? Number(v) : undefined;
      else nexthop.options[w] = v;
      continue;
    }
    if (w === 'inet6') { r.family = 6; continue; }
    if (w === 'append') { r.options[w] = 'true'; continue; }
    if (TYPES.has(w)) { r.type = w; if (w === 'blackhole') r.blackhole = true; continue; }
    if (VALUED.has(w)) {
      let v = words[i + 1];
      i++;
      if (v === 'lock' && LOCKABLE.has(w) && words[i + 1] !== undefined) { i++; v = `lock ${words[i]}`; }
      if (v === undefined) { cb.d.error('E_CONFIG_SYNTAX', n.file, n.line, `route: '${w}' needs a value`); break; }
      if (w === 'src') r.src = v;
      else if (w === 'via' || w === 'gw') { r.via = v; if (w === 'gw') cb.d.warn('E_CONFIG_SYNTAX', n.file, n.line, '"gw" for routes is deprecated. Please use "via"'); }
      else if (w === 'dev') r.dev = v;
      else if (w === 'table') r.table = v;
      else if (w === 'or') { r.options[w] = v; cb.d.warn('E_CONFIG_SYNTAX', n.file, n.line, '"or" for routes is deprecated. Please use "nexthop"'); }
      else if (w === 'scope') r.scope = v;
      else if (w === 'metric' || w === 'priority' || w === 'preference') r.metric = /^\d+$/.test(v) ? Number(v) : undefined;
      else r.options[w] = v;
      continue;
    }
    if (['no_track', 'track', 'onlink', 'lock'].includes(w)) { r.options[w] = 'true'; continue; }
    if (!r.to) {
      const ip = w.split('/')[0];
      const f = w === 'default' ? 4 : isIp(ip);
      if (!f) { cb.d.error('E_CONFIG_SYNTAX', n.file, n.line, `route: invalid destination '${w}'`); return undefined; }
      r.to = w;
      r.family = f;
      continue;
    }
    cb.d.warn('E_CONFIG_SYNTAX', n.file, n.line, `route: unknown option '${w}' - ignoring`);
  }
  if (!r.to) { cb.d.error('E_CONFIG_SYNTAX', n.file, n.line, 'route: missing destination'); return undefined; }
  const via = r.via ?? r.nexthops?.find((h) => h.via)?.via;
  if (via && isIp(via)) r.family = isIp(via) as 4 | 6;
  return r;
}

export function rule(cb: ConfigBuilder, n: N): VirtualRule | undefined {
  const words = [n.keyword, ...n.args];
  const r: VirtualRule = { options: {}, raw: words.join(' '), file: n.file, line: n.line };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (['not', 'no_track', 'track', 'l3mdev'].includes(w)) { r.options[w] = 'true'; continue; }
    if (w === 'inet6') { r.family = 6; continue; }
    if (w === 'inet') { r.family = 4; continue; }
    if (['blackhole', 'prohibit', 'unreachable', 'nop'].includes(w)) { r.options.type = w; continue; }
    const v = words[i + 1];
    i++;
    if (v === undefined) { cb.d.error('E_CONFIG_SYNTAX', n.file, n.line, `rule: '${w}' needs a value`); break; }
    if (w === 'from' || w === 'to') {
      if (v !== 'all' && !isIp(v.split('/')[0])) { cb.d.error('E_CONFIG_SYNTAX', n.file, n.line, `Invalid rule ${w} address ${v}`); return undefined; }
      r[w] = v;
      if (v !== 'all') r.family = isIp(v.split('/')[0]) as 4 | 6;
    } else if (w === 'table' || w === 'lookup') r.table = v;
    else if (w === 'priority' || w === 'preference' || w === 'order') r.priority = /^\d+$/.test(v) ? Number(v) : undefined;
    else if (RULE_VALUED.has(w)) r.options[w] = v;
    else { cb.d.warn('E_CONFIG_SYNTAX', n.file, n.line, `Unknown rule option ${w}`); i--; }
  }
  if (r.priority === undefined) cb.unprioritized.push({ r, n });
  return r;
}
