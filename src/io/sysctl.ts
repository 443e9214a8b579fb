/**
 * Per-interface sysctls (/proc/sys/net/ipv4|ipv6/conf/IF/KEY), the way keepalived's
 * vrrp_if_config.c set_sysctl()/get_sysctl() reads and writes them for use_vmac.
 */
import fs from 'node:fs';
import { toIoError } from './errors';

function sysctlPath(family: 4 | 6, ifname: string, key: string): string {
  if (!/^[^/\s]{1,15}$/.test(ifname) || !/^[a-z_0-9]+$/.test(key)) throw toIoError('E_IO_ARG', `sysctl ${ifname}/${key}`, 'bad name');
  return `/proc/sys/net/ipv${family}/conf/${ifname}/${key}`;
}

/** The integer value, or undefined when the interface or key does not exist. */
export function getIfSysctl(family: 4 | 6, ifname: string, key: string): number | undefined {
  try {
    const v = Number(fs.readFileSync(sysctlPath(family, ifname, key), 'utf8').trim());
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the value. Throws IoError E_IO_ARG / E_IO_NO_INTERFACE. */
export function setIfSysctl(family: 4 | 6, ifname: string, key: string, value: number): void {
  const p = sysctlPath(family, ifname, key);
  try {
    fs.writeFileSync(p, `${value}\n`);
  } catch (e) {
    throw toIoError((e as { code?: string }).code === 'ENOENT' ? 'E_IO_NO_INTERFACE' : 'E_IO_ARG', `sysctl ${p}`, e);
  }
}
