/**
 * use_vmac: the macvlan keepalived puts under a VRRP instance (vrrp_vmac.c netlink_link_add_vmac,
 * vrrp_if_config.c set_interface_parameters), carried out through src/io.
 *
 *  - `ip link add link BASE name vrrp.VRID address 00:00:5e:00:01:VRID type macvlan mode private`
 *    (IPv6 instances: 00:00:5e:00:02:VRID); an existing link of that name with that MAC is reused
 *    (a restarted daemon finds its own VMAC);
 *  - on the VMAC: arp_ignore 1, accept_local 1, rp_filter 0, promote_secondaries 1 (IPv4 instances
 *    also get disable_ipv6 1 before the link goes up, so the virtual MAC sends no IPv6 frames);
 *  - on the base interface: arp_ignore 1 and arp_filter 1, so only the VMAC answers ARP for the
 *    VIPs; the old values are put back when the last VMAC on that base goes;
 *  - the VMAC is deleted when the instance stops.
 */
import type { Logger } from '../util/log';
import { createMacvlan, deleteLink, getLink, getIfSysctl, setIfSysctl, setLinkUp } from '../io';
import type { ResolvedInstance } from './instance';

interface BaseRec {
  users: Set<string>;
  arpIgnore?: number;
  arpFilter?: number;
}

export class VmacManager {
  private readonly bases = new Map<string, BaseRec>();
  private readonly owned = new Set<string>();

  constructor(private readonly log: Logger) {}

  /** Creates (or reuses) the instance's VMAC and sets keepalived's sysctls. Rejects with IoError. */
  async setup(r: ResolvedInstance): Promise<void> {
    const vm = r.vmac;
    if (!vm) return;
    const existing = await getLink(vm.name).catch(() => undefined);
    if (existing && existing.mac?.toLowerCase() !== vm.mac) {
      await deleteLink(vm.name);
    }
    if (!existing || existing.mac?.toLowerCase() !== vm.mac) {
      await createMacvlan(r.ifname, vm.name, vm.mac, 'private');
      this.log.info({ instance: r.name, vmac: vm.name, mac: vm.mac, base: r.ifname }, `(${r.name}) Created VMAC interface ${vm.name} on ${r.ifname} (${vm.mac})`);
    }
    this.owned.add(vm.name);
    if (r.family === 4) setIfSysctl(6, vm.name, 'disable_ipv6', 1);
    setIfSysctl(4, vm.name, 'arp_ignore', 1);
    setIfSysctl(4, vm.name, 'accept_local', 1);
    setIfSysctl(4, vm.name, 'rp_filter', 0);
    setIfSysctl(4, vm.name, 'promote_secondaries', 1);
    let base = this.bases.get(r.ifname);
    if (!base) {
      base = { users: new Set(), arpIgnore: getIfSysctl(4, r.ifname, 'arp_ignore'), arpFilter: getIfSysctl(4, r.ifname, 'arp_filter') };
      this.bases.set(r.ifname, base);
      if (base.arpIgnore !== 1) setIfSysctl(4, r.ifname, 'arp_ignore', 1);
      if (base.arpFilter !== 1) setIfSysctl(4, r.ifname, 'arp_filter', 1);
    }
    base.users.add(vm.name);
    await setLinkUp(vm.name, true);
  }

  /** Deletes the VMAC and, with the last one on its base, restores the base's ARP sysctls. */
  async remove(r: ResolvedInstance): Promise<void> {
    const vm = r.vmac;
    if (!vm || !this.owned.has(vm.name)) return;
    this.owned.delete(vm.name);
    try {
      await deleteLink(vm.name);
      this.log.info({ instance: r.name, vmac: vm.name }, `(${r.name}) Removed VMAC interface ${vm.name}`);
    } catch (e) {
      this.log.warn({ code: (e as { code?: string }).code ?? 'E_VMAC', instance: r.name, vmac: vm.name, err: e }, `(${r.name}) cannot remove VMAC ${vm.name}: ${(e as Error).message}`);
    }
    const base = this.bases.get(r.ifname);
    if (!base) return;
    base.users.delete(vm.name);
    if (base.users.size > 0) return;
    this.bases.delete(r.ifname);
    try {
      if (base.arpIgnore !== undefined && base.arpIgnore !== 1) setIfSysctl(4, r.ifname, 'arp_ignore', base.arpIgnore);
      if (base.arpFilter !== undefined && base.arpFilter !== 1) setIfSysctl(4, r.ifname, 'arp_filter', base.arpFilter);
    } catch (e) {
      this.log.warn({ code: (e as { code?: string }).code ?? 'E_VMAC', ifname: r.ifname, err: e }, `cannot restore ARP settings of ${r.ifname}`);
    }
  }
}
