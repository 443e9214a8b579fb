/** LVS: virtual_server_group, virtual_server, real_server and its checkers (keepalived.conf(5)). */
import type { ConfigBuilder } from './parse';
import type { Checker, CheckerType, GenericNode as N, RealServer, UrlSpec, VirtualServer, VirtualServerGroup } from './model';
import { isIp } from './parse-net';
import { blockEnd } from './tree';

const VS_EXTRA = new Set('ha_suspend persistence_engine sh mh ip_family snmp_name sorry_server_lvs_method lthreshold uthreshold retry delay_before_retry warmup connect_timeout lvs_method lvs_sched flag-1 flag-2 flag-3 sh-port sh-fallback mh-port mh-fallback'.split(' '));
const RS_EXTRA = new Set('uthreshold lthreshold retry delay_before_retry warmup connect_timeout alpha lvs_method virtualhost snmp_name'.split(' '));
const CHECKER_EXTRA = new Set('log_all_failures http_protocol enable_sni fast_recovery require_reply min_reply_length max_reply_length payload ca certificate key password user'.split(' '));
const URL_EXTRA = new Set('regex_max_offset regex_min_offset regex_options regex_stack'.split(' '));

export function vsGroup(cb: ConfigBuilder, b: N): VirtualServerGroup | undefined {
  if (!cb.need(b, 1, 'a group name')) return undefined;
  const g: VirtualServerGroup = { name: b.args[0], file: b.file, line: b.line, members: [] };
  for (const c of b.children ?? []) {
    const raw = [c.keyword, ...c.args].join(' ');
    if (c.keyword === 'fwmark') { const f = cb.int(c, 0, 1, 4294967295); if (f !== undefined) g.members.push({ address: '', fwmark: f, raw }); continue; }
    const m = /^(.+?)(?:-(\w+))?$/.exec(c.keyword);
    let addr = c.keyword;
    let rangeEnd: string | undefined;
    if (!isIp(addr) && m?.[2] && isIp(m[1])) { addr = m[1]; rangeEnd = m[2]; }
    if (!isIp(addr.split('/')[0])) { cb.d.error('E_CONFIG_SYNTAX', c.file, c.line, `virtual_server_group ${g.name}: invalid address '${c.keyword}'`); continue; }
    const port = c.args[0] !== undefined ? cb.int(c, 0, 0, 65535) : undefined;
    g.members.push({ address: addr, ...(rangeEnd ? { rangeEnd } : {}), ...(port !== undefined ? { port } : {}), raw });
  }
  return g;
}

export function virtualServer(cb: ConfigBuilder, b: N): VirtualServer | undefined {
  const vs: VirtualServer = {
    file: b.file, line: b.line, family: 4, delayLoop: 60, lbAlgo: 'wlc', lbKind: 'NAT', protocol: 'TCP', sorryServerInhibit: false,
    quorum: 1, hysteresis: 0, alpha: false, omega: false, ops: false, inhibitOnFailure: false, realServers: [], extra: {},
  };
  if (b.args[0] === 'fwmark') { vs.fwmark = cb.int(b, 1, 1, 4294967295); if (vs.fwmark === undefined) return undefined; }
  else if (b.args[0] === 'group') { if (!cb.need(b, 2, 'group NAME')) return undefined; vs.group = b.args[1]; }
  else {
    const f = b.args[0] ? isIp(b.args[0]) : 0;
    if (!f) { cb.d.error('E_CONFIG_SYNTAX', b.file, b.line, `virtual_server: expected an IP address, 'fwmark N' or 'group NAME', got '${b.args[0] ?? ''}'`); return undefined; }
    vs.address = b.args[0];
    vs.family = f;
    if (b.args[1] !== undefined) vs.port = cb.int(b, 1, 0, 65535);
  }
  const where = `virtual_server ${b.args.join(' ')}`;
  let schedSet = false;
  let kindSet = false;
  let protocolSet = false;
  for (const n of b.children ?? []) {
    switch (n.keyword) {
      case 'delay_loop': vs.delayLoop = cb.secs(n, 0, 0.000001, 4294) ?? vs.delayLoop; break;
      case 'lb_algo': case 'lvs_sched': if (cb.need(n, 1, 'a scheduler (rr|wrr|lc|wlc|lblc|sh|mh|dh|fo|ovf|lblcr|sed|nq)')) { vs.lbAlgo = n.args[0]; schedSet = true; } break;
      case 'lb_kind': case 'lvs_method': {
        kindSet = true;
        const k = (n.args[0] ?? '').toUpperCase();
        if (k === 'NAT' || k === 'DR' || k === 'TUN') vs.lbKind = k;
        else cb.d.error('E_CONFIG_SYNTAX', n.file, n.line, `${n.keyword}: expected NAT|DR|TUN, got '${n.args[0] ?? ''}'`);
        break;
      }
      case 'protocol': {
        const p = (n.args[0] ?? '').toUpperCase();
        cb.at(vs, 'protocol', n);
        if (p === 'TCP' || p === 'UDP' || p === 'SCTP') { vs.protocol = p; protocolSet = true; }
        else cb.d.error('E_CONFIG_SYNTAX', n.file, n.line, `protocol: expected TCP|UDP|SCTP, got '${n.args[0] ?? ''}'`);
        if (vs.fwmark !== undefined) cb.d.warn('E_CONFIG_SYNTAX', n.file, n.line, `Warning: Virtual server FWM ${vs.fwmark}: protocol specified for fwmark - protocol will be ignored`);
        break;
      }
      case 'persistence_timeout': vs.persistenceTimeout = n.args[0] === undefined ? 360 : cb.int(n, 0, 1, 4294967295); break;
      case 'persistence_granularity': vs.persistenceGranularity = n.args[0]; break;
      case 'virtualhost': vs.virtualhost = n.args[0]; break;
      case 'sorry_server': {
        const a = cb.ip(n, 0);
        if (a) vs.sorryServer = { address: a, ...(n.args[1] !== undefined ? { port: cb.int(n, 1, 0, 65535) } : {}) };
        break;
      }
      case 'sorry_server_inhibit': vs.sorryServerInhibit = true; break;
      case 'quorum': vs.quorum = cb.int(n, 0, 1, 65535) ?? 1; break;
      case 'hysteresis': vs.hysteresis = cb.int(n, 0, 0, 65535) ?? 0; break;
      case 'quorum_up': vs.quorumUp = cb.cmd(n); break;
      case 'quorum_down': vs.quorumDown = cb.cmd(n); break;
      case 'alpha': vs.alpha = true; break;
      case 'omega': vs.omega = true; break;
      case 'ops': vs.ops = true; break;
      case 'inhibit_on_failure': vs.inhibitOnFailure = true; break;
      case 'real_server': { const r = realServer(cb, n, vs); if (r) vs.realServers.push(r); break; }
      case 'smtp_alert': cb.extra(vs.extra, n); break;
      default:
        if (VS_EXTRA.has(n.keyword)) cb.extra(vs.extra, n);
        else cb.unknown(n, where);
    }
  }
  if (!protocolSet && vs.fwmark === undefined) {
    // keepalived 2.2.7 (check_data.c): the kernel takes protocol 0 as UDP, so keepalived sets UDP explicitly
    cb.d.warn('E_CONFIG_SYNTAX', b.file, b.line, `Virtual server ${where.slice('virtual_server '.length)}: no protocol set - defaulting to UDP`);
    vs.protocol = 'UDP';
  }
  if (!schedSet) cb.d.warn('E_CONFIG_MISSING', b.file, b.line, `Virtual server ${b.args.join(' ')}: no scheduler set, setting default 'wlc'`);
  if (!kindSet) cb.d.warn('E_CONFIG_MISSING', b.file, b.line, `Virtual server ${b.args.join(' ')}: no forwarding method set, setting default NAT`);
  // keepalived 2.2.7 (check_data.c): quorum above the real servers' total weight, hysteresis not below quorum
  const total = vs.realServers.reduce((a, r) => a + r.weight, 0);
  if (vs.quorum > total) {
    cb.d.warn('E_CONFIG_RANGE', b.file, b.line, `Warning - quorum ${vs.quorum} for virtual server ${b.args.join(' ')} exceeds total weight of real servers ${total}, reducing quorum to ${total}`);
    vs.quorum = total;
  }
  if (vs.hysteresis >= vs.quorum) {
    const h = vs.quorum === 0 ? 4294967295 : vs.quorum - 1; // keepalived's unsigned quorum - 1
    cb.d.warn('E_CONFIG_RANGE', b.file, b.line, `Virtual server ${b.args.join(' ')}: hysteresis ${vs.hysteresis} >= quorum ${vs.quorum}; setting hysteresis to ${h}`);
    vs.hysteresis = h;
  }
  return vs;
}

export function realServer(cb: ConfigBuilder, b: N, vs: VirtualServer): RealServer | undefined {
  const f = b.args[0] ? isIp(b.args[0]) : 0;
  if (!f) { cb.d.error('E_CONFIG_SYNTAX', b.file, b.line, `real_server: expected an IP address, got '${b.args[0] ?? ''}'`); return undefined; }
  const rs: RealServer = { address: b.args[0], file: b.file, line: b.line, weight: 1, inhibitOnFailure: vs.inhibitOnFailure, checkers: [], extra: {} };
  if (b.args[1] !== undefined) rs.port = cb.int(b, 1, 0, 65535);
  for (const n of b.children ?? []) {
    switch (n.keyword) {
      case 'weight': rs.weight = cb.int(n, 0, 0, 65535) ?? 1; break;
      case 'inhibit_on_failure': rs.inhibitOnFailure = true; break;
      case 'notify_up': rs.notifyUp = cb.cmd(n); break;
      case 'notify_down': rs.notifyDown = cb.cmd(n); break;
      case 'smtp_alert': rs.smtpAlert = cb.bool(n); break;
      case 'delay_loop': rs.delayLoop = cb.secs(n, 0, 0.000001, 4294); break;
      case 'TCP_CHECK': case 'HTTP_GET': case 'SSL_GET': case 'SMTP_CHECK': case 'DNS_CHECK': case 'MISC_CHECK':
      case 'UDP_CHECK': case 'PING_CHECK': case 'ICMP_CHECK': case 'FILE_CHECK': case 'BFD_CHECK':
        rs.checkers.push(checker(cb, n, n.keyword === 'ICMP_CHECK' ? 'PING_CHECK' : (n.keyword as CheckerType)));
        break;
      default:
        if (RS_EXTRA.has(n.keyword)) cb.extra(rs.extra, n);
        else cb.unknown(n, `real_server ${b.args.join(' ')}`);
    }
  }
  return rs;
}

export function checker(cb: ConfigBuilder, b: N, type: CheckerType): Checker {
  const c: Checker = { type, file: b.file, line: b.line, urls: [], hosts: [], extra: {} };
  for (const n of b.children ?? []) {
    switch (n.keyword) {
      case 'connect_ip': c.connectIp = cb.ip(n, 0); break;
      case 'connect_port': c.connectPort = cb.int(n, 0, 0, 65535); break;
      case 'bindto': c.bindto = cb.ip(n, 0); break;
      case 'bind_port': c.bindPort = cb.int(n, 0, 0, 65535); break;
      case 'bind_if': c.bindIf = n.args[0]; break;
      case 'connect_timeout': c.connectTimeout = cb.secs(n, 0, 0.000001, 4294); break;
      case 'retry': case 'nb_get_retry': case 'nb_sock_retry': c.nbGetRetry = cb.int(n, 0, 0, 4294967295); break;
      case 'delay_before_retry': c.delayBeforeRetry = cb.secs(n, 0, 0, 4294); break;
      case 'delay_loop': c.delayLoop = cb.secs(n, 0, 0.000001, 4294); break;
      case 'warmup': c.warmup = cb.secs(n, 0, 0, 4294); break;
      case 'fwmark': c.fwmark = cb.int(n, 0, 0, 4294967295); break;
      case 'alpha': c.alpha = cb.bool(n); break;
      case 'url': if (type === 'HTTP_GET' || type === 'SSL_GET') c.urls.push(url(cb, n)); else cb.unknown(n, type); break;
      case 'virtualhost': c.virtualhost = n.args[0]; break;
      case 'sni': case 'enable_sni': c.sni = n.args[0] ?? 'true'; break;
      case 'helo_name': c.heloName = n.args[0]; break;
      case 'host': if (type === 'SMTP_CHECK') c.hosts.push(checker(cb, n, type)); else cb.unknown(n, type); break;
      case 'misc_path': c.miscPath = cb.cmd(n); break;
      case 'misc_timeout': c.miscTimeout = cb.secs(n, 0, 0.000001, 4294); break;
      case 'misc_dynamic': c.miscDynamic = true; break;
      case 'type': c.dnsType = n.args[0]; break;
      case 'name': if (type === 'BFD_CHECK') c.bfdName = n.args[0]; else c.dnsName = n.args[0]; break;
      case 'track_file': c.trackFile = n.args[0]; break;
      case 'weight': c.weight = cb.int(n, 0, -254, 254); c.weightReverse = n.args[1] === 'reverse'; break;
      default:
        if (CHECKER_EXTRA.has(n.keyword)) cb.extra(c.extra, n);
        else cb.unknown(n, type);
    }
  }
  const end = blockEnd.get(b) ?? b;
  if (type === 'MISC_CHECK' && !c.miscPath) cb.d.error('E_CONFIG_MISSING', end.file, end.line, 'No script path has been specified for MISC_CHECKER - skipping');
  return c;
}

export function url(cb: ConfigBuilder, b: N): UrlSpec {
  const u: UrlSpec = { file: b.file, line: b.line, extra: {} };
  for (const n of b.children ?? []) {
    switch (n.keyword) {
      case 'path': u.path = n.args[0]; break;
      case 'digest':
        if (!/^[0-9a-fA-F]{32}$/.test(n.args[0] ?? '')) cb.d.error('E_CONFIG_SYNTAX', n.file, n.line, `digest: expected 32 hex digits (MD5), got '${n.args[0] ?? ''}'`);
        else u.digest = n.args[0].toLowerCase();
        break;
      case 'status_code': u.statusCode = n.args.flatMap((a) => a.split(',')).filter((x) => x !== ''); break;
      case 'virtualhost': u.virtualhost = n.args[0]; break;
      case 'regex': u.regex = n.args[0]; break;
      case 'regex_no_match': u.regexNo = true; break;
      default:
        if (URL_EXTRA.has(n.keyword)) cb.extra(u.extra, n);
        else cb.unknown(n, 'url');
    }
  }
  return u;
}
