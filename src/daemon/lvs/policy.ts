/**
 * Small keepalived rules of the LVS half, pure: which virtual servers ha_suspend takes out of IPVS
 * now, which real and virtual servers send smtp_alert mails, the check names of the mails.
 */
import type { CheckerType, KeepalivedConfig, VirtualServer } from '../../config/model';
import type { Inst } from '../context';
import { canonicalIp } from '../../protocol/addresses';
import { vsId } from './desired';

/**
 * `ha_suspend`: the virtual server's services are installed only while the VRRP instance that holds
 * its address as a VIP is MASTER (an address no instance holds is never suspended).
 */
export function haSuspended(cfg: KeepalivedConfig, insts: ReadonlyMap<string, Pick<Inst, 'state' | 'r'>>): Set<string> {
  const out = new Set<string>();
  for (const vs of cfg.virtualServers) {
    if (vs.extra.ha_suspend === undefined || vs.address === undefined) continue;
    const addr = canonicalIp(vs.address);
    for (const i of insts.values()) {
      if (!i.r.vips.some((v) => canonicalIp(v.address) === addr)) continue;
      if (i.state?.state !== 'MASTER') out.add(vsId(vs));
    }
  }
  return out;
}

const onOff = (a: string[][] | undefined): boolean | undefined => {
  const v = a?.at(-1);
  if (!v) return undefined;
  return v.length === 0 || /^(on|true|yes)$/i.test(v[0] ?? '');
};

/** A virtual server's smtp_alert: its own, else global smtp_alert_checker, else global smtp_alert. */
export function vsSmtp(cfg: KeepalivedConfig, vs: VirtualServer): boolean {
  return onOff(vs.extra.smtp_alert) ?? onOff(cfg.globalDefs.extra.smtp_alert_checker) ?? onOff(cfg.globalDefs.extra.smtp_alert) ?? false;
}

/** A real server's smtp_alert: its own, else its virtual server's; none with no_checker_emails. */
export function rsSmtp(cfg: KeepalivedConfig, vs: VirtualServer, own: boolean | undefined): boolean {
  if (cfg.globalDefs.extra.no_checker_emails !== undefined) return false;
  return own ?? vsSmtp(cfg, vs);
}

/** The check's name in keepalived's mail bodies ("=> TCP CHECK failed on service <="). */
export function checkName(t: CheckerType): string {
  switch (t) {
    case 'TCP_CHECK': return 'TCP CHECK';
    case 'HTTP_GET': return 'HTTP CHECK';
    case 'SSL_GET': return 'SSL CHECK';
    case 'SMTP_CHECK': return 'SMTP CHECK';
    case 'DNS_CHECK': return 'DNS CHECK';
    case 'UDP_CHECK': return 'UDP CHECK';
    case 'PING_CHECK': return 'ICMP CHECK';
    case 'MISC_CHECK': return 'MISC CHECK';
    case 'FILE_CHECK': return 'FILE CHECK';
    default: return String(t);
  }
}
