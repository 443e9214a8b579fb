/**
 * `lvs_sync_daemon INTERFACE VRRP_INSTANCE [id ID] [maxlen LEN] [port PORT] [ttl TTL] [group IP]`
 * and `lvs_timeouts`, pure. keepalived (vrrp/vrrp.c, check/ipvswrapper.c) runs the kernel's
 * connection-sync daemon as master while the named VRRP instance is MASTER and as backup
 * otherwise, stopping the other role first; at shutdown it stops the one for the current state.
 * The sync id defaults to the instance's virtual_router_id.
 */
import type { KeepalivedConfig } from '../../config/model';
import type { IpvsDaemon, IpvsTimeouts } from '../../protocol/ipvs';

export interface SyncDaemonSpec {
  /** the vrrp_instance whose state decides master or backup */
  instance: string;
  daemon: Omit<IpvsDaemon, 'state'>;
}

export type SyncdRole = 'master' | 'backup';
export type SyncdOp = { op: 'start' | 'stop'; state: SyncdRole };

/** The sync daemon the configuration asks for, if any. */
export function syncDaemonSpec(config: KeepalivedConfig): SyncDaemonSpec | undefined {
  const s = config.globalDefs.lvsSyncDaemon;
  if (!s) return undefined;
  const vrid = config.vrrpInstances.find((v) => v.name === s.vrrpInstance)?.virtualRouterId;
  const opt = (k: string): string | undefined => {
    const i = s.extra.indexOf(k);
    return i >= 0 ? s.extra[i + 1] : undefined;
  };
  const num = (k: string): number | undefined => {
    const v = opt(k);
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
  };
  const daemon: Omit<IpvsDaemon, 'state'> = { mcastIfn: s.interface, syncId: s.syncId ?? vrid ?? 0 };
  const maxlen = num('maxlen');
  const port = num('port');
  const ttl = num('ttl');
  const group = opt('group');
  if (maxlen) daemon.syncMaxlen = maxlen;
  if (port) daemon.mcastPort = port;
  if (ttl) daemon.mcastTtl = ttl;
  if (group) daemon.mcastGroup = group;
  return { instance: s.vrrpInstance, daemon };
}

/** Operations when the named instance enters MASTER (master) or any other state (backup). */
export function syncdBecome(role: SyncdRole): SyncdOp[] {
  const other: SyncdRole = role === 'master' ? 'backup' : 'master';
  return [{ op: 'stop', state: other }, { op: 'start', state: role }];
}

/** Operation at shutdown: stop the daemon of the current role. */
export function syncdShutdown(role: SyncdRole): SyncdOp[] {
  return [{ op: 'stop', state: role }];
}

/**
 * `lvs_timeouts tcp T tcpfin T udp T`: the values configured (0 = not configured), or undefined
 * when none is.
 */
export function desiredTimeouts(config: KeepalivedConfig): IpvsTimeouts | undefined {
  const t = config.globalDefs.lvsTimeouts;
  if (!t || (!t.tcp && !t.tcpfin && !t.udp)) return undefined;
  return { tcp: t.tcp ?? 0, tcpFin: t.tcpfin ?? 0, udp: t.udp ?? 0 };
}

/**
 * What keepalived's checker sends (IPVS_CMD_SET_CONFIG) at start and on every reload: each
 * configured value, the one the kernel had before we first changed any (`found`) for the others;
 * with none configured, `found` back (a reload that dropped lvs_timeouts), or nothing when we never
 * changed them. At stop keepalived sends `found` back the same way.
 */
export function timeoutsToSet(config: KeepalivedConfig, found: IpvsTimeouts | undefined): IpvsTimeouts | undefined {
  const want = desiredTimeouts(config);
  if (!want) return found;
  if (!found) return want;
  return { tcp: want.tcp || found.tcp, tcpFin: want.tcpFin || found.tcpFin, udp: want.udp || found.udp };
}
