/**
 * Keywords keepalived-ts parses (so -t and -d know them) but does not act upon. Each gets one
 * `warning: … [E_CONFIG_UNSUPPORTED]` from -t and the same line in the daemon's log at start.
 * This is the one list: when a feature is built, its keywords leave it.
 */
import type { Diagnostics } from './errors';
import type { GenericNode } from './model';

const BFD = 'keepalived-ts has no BFD subsystem';
const SNMP = 'keepalived-ts has no SNMP subsystem';
const DBUS = 'keepalived-ts has no DBus interface';
const PROC = 'keepalived-ts runs one process: keepalived\'s per-child process settings do not apply';
const NOT_YET = 'keepalived-ts does not act on it';

type Table = Record<string, string>;
const each = (words: string, why: string): Table => Object.fromEntries(words.split(' ').map((w) => [w, why]));

/** Top-level blocks and keywords. */
export const TOP_LEVEL: Table = {
  ...each('bfd_instance', BFD),
  ...each('garp_group vrrp_garp_group track_group linkbeat_interfaces interface_up_down_delays use_polling linkbeat_use_polling old_unicast_checksum child_wait_time namespace_with_ipsets net_namespace_ipvs net_namespace instance', NOT_YET),
};

/** Inside global_defs. */
export const GLOBAL_DEFS: Table = {
  ...each('lvs_notify_fifo_script lvs_netlink_cmd_rcv_bufs lvs_netlink_cmd_rcv_bufs_force lvs_netlink_monitor_rcv_bufs lvs_netlink_monitor_rcv_bufs_force checker_log_all_failures nftables_ipvs nftables_ipvs_priority nftables_ipvs_start_fwmark rs_init_notifies lvs_sync_daemon_interface lvs_timeouts_tcp', NOT_YET),
  ...each('checker_priority checker_no_swap checker_cpu_affinity checker_process_name checker_rlimit_rttime checker_rt_priority', PROC),
  ...each('bfd_priority bfd_no_swap bfd_cpu_affinity bfd_process_name bfd_rlimit_rttime bfd_rt_priority', BFD),
  ...each('enable_snmp_checker enable_snmp_rfc enable_snmp_rfcv2 enable_snmp_rfcv3 enable_snmp_vrrp enable_snmp_keepalived enable_traps snmp_socket', SNMP),
  ...each('enable_dbus dbus_service_name', DBUS),
  ...each('vrrp_priority vrrp_no_swap vrrp_cpu_affinity vrrp_rlimit_rttime vrrp_rt_priority vrrp_process_name process_name process_names', PROC),
  ...each('admin config_save_dir data_use_instance default_interface disable_local_igmp dynamic_interfaces fifo_write_vrrp_states_on_reload include_check linkbeat_use_polling log_unknown_vrids max_auto_priority min_auto_priority_delay net_namespace instance random_seed reload_check_config reload_file reload_repeat reload_time_file shutdown_script shutdown_script_timeout startup_script startup_script_timeout tmp_config_directory umask use_pid_dir vmac_addr_prefix vmac_prefix vrrp_down_timer_adverts vrrp_garp_extra_if vrrp_ipsets vrrp_iptables vrrp_min_garp vrrp_netlink_cmd_rcv_bufs vrrp_netlink_cmd_rcv_bufs_force vrrp_netlink_monitor_rcv_bufs vrrp_netlink_monitor_rcv_bufs_force vrrp_notify_priority_changes vrrp_rx_bufs_multiplier vrrp_rx_bufs_policy vrrp_startup_delay namespace_with_ipsets process_monitor_rcv_bufs process_monitor_rcv_bufs_force vrrp_mcast_group4_ttl', NOT_YET),
};

/** Inside vrrp_instance (and vrrp_sync_group for the track_bfd line). */
export const INSTANCE: Table = {
  ...each('track_bfd', BFD),
  ...each('lvs_sync_daemon_interface', NOT_YET),
  ...each('down_timer_adverts garp_extra_if kernel_rx_buf_size linkbeat_use_polling mcast_dst_ip old_unicast_checksum promote_secondaries track_src_ip unicast_fault_no_peer use_vmac_addr vrf notify_priority_changes dont_use_vmac_addr', NOT_YET),
};

const SYNC_GROUP: Table = { track_bfd: BFD, notify_priority_changes: NOT_YET };

/** Adds an E_CONFIG_UNSUPPORTED warning for every keyword of the tables above found in the statement tree. */
export function reportUnsupported(nodes: GenericNode[], d: Diagnostics): void {
  const note = (n: GenericNode, why: string, where: string): void =>
    d.note('E_CONFIG_UNSUPPORTED', n.file, n.line, `${where}${n.keyword}: parsed, not acted upon: ${why}`);
  for (const n of nodes) {
    const top = TOP_LEVEL[n.keyword];
    if (top) { note(n, top, ''); continue; }
    const table = n.keyword === 'global_defs' ? GLOBAL_DEFS : n.keyword === 'vrrp_instance' ? INSTANCE : n.keyword === 'vrrp_sync_group' ? SYNC_GROUP : undefined;
    if (!table) continue;
    const where = `${n.keyword}${n.args[0] ? ' ' + n.args[0] : ''}: `;
    for (const c of n.children ?? []) {
      const why = Object.prototype.hasOwnProperty.call(table, c.keyword) ? table[c.keyword] : undefined;
      if (why) note(c, why, where);
    }
  }
}
