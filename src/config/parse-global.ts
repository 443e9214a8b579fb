/** global_defs (keepalived.conf(5) "Global definitions"): defaults and parsing. */
import * as os from 'node:os';
import { splitCommand, type ConfigBuilder } from './parse';
import type { GenericNode as N, GlobalDefs } from './model';

/** Keywords accepted in global_defs but kept untyped (in `extra`), from keepalived.conf(5). */
const GLOBAL_EXTRA = new Set(('admin bfd_cpu_affinity bfd_process_name bfd_rlimit_rttime bfd_rt_priority checker_cpu_affinity checker_log_all_failures checker_process_name checker_rlimit_rttime checker_rt_priority child_wait_time config_save_dir data_use_instance dbus_service_name default_interface disable_local_igmp enable_dbus enable_snmp_checker enable_snmp_rfc enable_snmp_rfcv2 enable_snmp_rfcv3 enable_snmp_vrrp enable_snmp_keepalived enable_traps fifo_write_vrrp_states_on_reload include_check linkbeat_use_polling log_unknown_vrids lvs_flush_on_stop lvs_netlink_cmd_rcv_bufs lvs_netlink_cmd_rcv_bufs_force lvs_netlink_monitor_rcv_bufs lvs_netlink_monitor_rcv_bufs_force lvs_notify_fifo_script namespace_with_ipsets net_namespace_ipvs nftables nftables_counters nftables_ifindex nftables_ipvs nftables_ipvs_priority nftables_ipvs_start_fwmark nftables_priority no_checker_emails no_email_faults notify_fifo_script process_monitor_rcv_bufs process_monitor_rcv_bufs_force process_name process_names random_seed reload_check_config reload_file reload_repeat reload_time_file rs_init_notifies shutdown_script shutdown_script_timeout smtp_alert smtp_alert_checker smtp_alert_vrrp snmp_socket startup_script startup_script_timeout tmp_config_directory umask use_pid_dir vmac_addr_prefix vmac_prefix vrrp_cpu_affinity vrrp_down_timer_adverts vrrp_garp_extra_if vrrp_ipsets vrrp_iptables vrrp_min_garp vrrp_netlink_cmd_rcv_bufs vrrp_netlink_cmd_rcv_bufs_force vrrp_netlink_monitor_rcv_bufs vrrp_netlink_monitor_rcv_bufs_force vrrp_notify_fifo_script vrrp_notify_priority_changes vrrp_process_name vrrp_rlimit_rttime vrrp_rt_priority vrrp_rx_bufs_multiplier vrrp_rx_bufs_policy lvs_sync_daemon_interface lvs_timeouts_tcp vrrp_mcast_group4_ttl vrrp_garp_lower_prio_repeat_').split(' '));

export function defaultGlobals(): GlobalDefs {
  return {
    file: '', line: 0, routerId: os.hostname(), notificationEmail: [], smtpConnectTimeout: 30,
    enableScriptSecurity: false, vrrpMcastGroup4: '224.0.0.18', vrrpMcastGroup6: 'ff02::12',
    vrrpGarpMasterDelay: 5, vrrpGarpMasterRepeat: 5, vrrpGarpMasterRefresh: 0, vrrpGarpMasterRefreshRepeat: 1,
    vrrpGarpInterval: 0, vrrpGnaInterval: 0, vrrpLowerPrioNoAdvert: false, vrrpHigherPrioSendAdvert: false,
    vrrpVersion: 2, vrrpStrict: false, vrrpSkipCheckAdvAddr: false, vrrpCheckUnicastSrc: false,
    vrrpNoSwap: false, checkerNoSwap: false, dynamicInterfaces: false, dynamicInterfacesAllowIfDown: false,
    lvsFlush: false, extra: {},
  };
}

export function globalDefs(cb: ConfigBuilder, b: N, g: GlobalDefs): void {
  g.file = b.file;
  g.line = b.line;
  for (const n of b.children ?? []) {
    const k = n.keyword;
    switch (k) {
      case 'router_id':
        if (n.args[0] !== undefined) g.routerId = n.args[0];
        else cb.d.error('E_CONFIG_MISSING', n.file, n.line, 'routerid name missing - ignoring');
        break;
      case 'notification_email':
        if (n.children) for (const c of n.children) g.notificationEmail.push(c.keyword, ...c.args);
        else g.notificationEmail.push(...n.args);
        break;
      case 'notification_email_from': if (cb.need(n, 1, 'an e-mail address')) g.notificationEmailFrom = n.args[0]; break;
      case 'smtp_server':
        if (cb.need(n, 1, 'an address [port]')) {
          g.smtpServer = n.args[0];
          if (n.args[1] !== undefined) g.smtpServerPort = cb.int(n, 1, 1, 65535);
        }
        break;
      case 'smtp_helo_name': if (cb.need(n, 1, 'a name')) g.smtpHeloName = n.args[0]; break;
      case 'smtp_connect_timeout': {
        const t = cb.secs(n, 0, 0, 3600);
        // keepalived 2.2.7 corrects 0 (its message keeps its own spelling)
        if (t === 0) cb.d.warn('E_CONFIG_RANGE', n.file, n.line, 'smtp_conect_timeout must be greater than 0, setting to 1');
        g.smtpConnectTimeout = t === 0 ? 1 : t ?? g.smtpConnectTimeout;
        break;
      }
      case 'smtp_starttls': {
        const v = n.args[0] ?? 'opportunistic';
        if (v === 'off' || v === 'opportunistic' || v === 'require') g.smtpStarttls = v;
        else cb.d.error('E_CONFIG_SYNTAX', n.file, n.line, `smtp_starttls: expected off|opportunistic|require, got '${v}'`);
        break;
      }
      case 'smtp_tls_ca_file': if (cb.need(n, 1, 'a CA file (PEM)')) g.smtpTlsCaFile = n.args[0]; break;
      case 'smtp_auth_user': if (cb.need(n, 1, 'a user name')) g.smtpAuthUser = n.args[0]; break;
      case 'smtp_auth_pass': if (cb.need(n, 1, 'a password')) g.smtpAuthPass = n.args[0]; break;
      case 'metrics_listen':
        if (!cb.need(n, 1, 'ADDR:PORT')) break;
        if (/^(\[[0-9a-fA-F:.]+\]|[^:[\]]*):\d{1,5}$/.test(n.args[0]!) && Number(n.args[0]!.split(':').pop()) <= 65535) g.metricsListen = n.args[0];
        else cb.d.error('E_CONFIG_SYNTAX', n.file, n.line, `metrics_listen: expected ADDR:PORT, [ADDR6]:PORT or :PORT, got '${n.args[0]}'`);
        break;
      case 'notify_script_timeout': g.notifyScriptTimeout = cb.secs(n, 0, 0, 86400) ?? g.notifyScriptTimeout; break;
      case 'enable_script_security': g.enableScriptSecurity = true; break;
      case 'script_user': if (cb.need(n, 1, 'username [groupname]')) { g.scriptUser = n.args[0]; g.scriptGroup = n.args[1]; } break;
      case 'vrrp_mcast_group4': {
        const a = cb.ip(n, 0, 4);
        const first = a ? Number(a.split('.')[0]) : 0;
        if (a && (first < 224 || first > 239)) cb.d.warn('E_CONFIG_SYNTAX', n.file, n.line, `vrrp_mcast_group4 [${a}] is not multicast. Skipping`);
        else if (a) g.vrrpMcastGroup4 = a;
        break;
      }
      case 'vrrp_mcast_group6': { const a = cb.ip(n, 0, 6); if (a) g.vrrpMcastGroup6 = a; break; }
      case 'vrrp_garp_master_delay': g.vrrpGarpMasterDelay = cb.int(n, 0, 0, 86400) ?? g.vrrpGarpMasterDelay; break;
      case 'vrrp_garp_master_repeat': g.vrrpGarpMasterRepeat = cb.int(n, 0, 0, 65535) ?? g.vrrpGarpMasterRepeat; break;
      case 'vrrp_garp_master_refresh': g.vrrpGarpMasterRefresh = cb.int(n, 0, 0, 86400) ?? g.vrrpGarpMasterRefresh; break;
      case 'vrrp_garp_master_refresh_repeat': g.vrrpGarpMasterRefreshRepeat = cb.int(n, 0, 0, 65535) ?? g.vrrpGarpMasterRefreshRepeat; break;
      case 'vrrp_garp_lower_prio_delay': g.vrrpGarpLowerPrioDelay = cb.int(n, 0, 0, 86400); break;
      case 'vrrp_garp_lower_prio_repeat': g.vrrpGarpLowerPrioRepeat = cb.int(n, 0, 0, 65535); break;
      // keepalived: "vrrp_garp_interval '0' is invalid" (range is 0.000001 .. 4294.967295)
      case 'vrrp_garp_interval': g.vrrpGarpInterval = cb.secs(n, 0, 0.000001, 4294.967295) ?? g.vrrpGarpInterval; break;
      case 'vrrp_gna_interval': g.vrrpGnaInterval = cb.secs(n, 0, 0.000001, 4294.967295) ?? g.vrrpGnaInterval; break;
      case 'vrrp_lower_prio_no_advert': g.vrrpLowerPrioNoAdvert = cb.bool(n); break;
      case 'vrrp_higher_prio_send_advert': g.vrrpHigherPrioSendAdvert = cb.bool(n); break;
      case 'vrrp_version': { const v = cb.int(n, 0, 2, 3); if (v === 2 || v === 3) g.vrrpVersion = v; break; }
      case 'vrrp_strict': g.vrrpStrict = true; break;
      case 'vrrp_skip_check_adv_addr': g.vrrpSkipCheckAdvAddr = cb.bool(n); break;
      case 'vrrp_check_unicast_src': g.vrrpCheckUnicastSrc = true; break;
      case 'vrrp_priority': g.vrrpPriority = cb.int(n, 0, -20, 19); break;
      case 'checker_priority': g.checkerPriority = cb.int(n, 0, -20, 19); break;
      case 'bfd_priority': g.bfdPriority = cb.int(n, 0, -20, 19); break;
      case 'vrrp_no_swap': g.vrrpNoSwap = true; break;
      case 'checker_no_swap': g.checkerNoSwap = true; break;
      case 'bfd_no_swap': (g.extra[k] ??= []).push(n.args); break;
      case 'dynamic_interfaces':
        g.dynamicInterfaces = true;
        g.dynamicInterfacesAllowIfDown = n.args[0] === 'allow_if_changes';
        break;
      case 'lvs_sync_daemon':
        if (cb.need(n, 2, 'INTERFACE VRRP_INSTANCE [id ID] ...')) {
          const i = n.args.indexOf('id');
          g.lvsSyncDaemon = { interface: n.args[0], vrrpInstance: n.args[1], extra: n.args.slice(2) };
          if (i >= 0) g.lvsSyncDaemon.syncId = cb.int(n, i + 1, 0, 255);
        }
        break;
      case 'lvs_timeouts': {
        const t: { tcp?: number; tcpfin?: number; udp?: number } = {};
        for (let i = 0; i + 1 < n.args.length; i += 2) {
          const key = n.args[i];
          if (key === 'tcp' || key === 'tcpfin' || key === 'udp') t[key] = cb.int(n, i + 1, 0, 86400 * 31);
          else cb.d.error('E_CONFIG_SYNTAX', n.file, n.line, `lvs_timeouts: expected tcp|tcpfin|udp, got '${key}'`);
        }
        g.lvsTimeouts = t;
        break;
      }
      case 'lvs_flush': g.lvsFlush = true; break;
      case 'net_namespace': g.netNamespace = n.args[0]; break;
      case 'instance': g.instance = n.args[0]; break;
      case 'notify_fifo': case 'vrrp_notify_fifo': case 'lvs_notify_fifo': {
        if (!cb.need(n, 1, 'a FIFO path [username [groupname]]')) break;
        const f = { fifo: n.args[0] };
        if (k === 'notify_fifo') g.notifyFifo = f;
        else if (k === 'vrrp_notify_fifo') g.vrrpNotifyFifo = f;
        else g.lvsNotifyFifo = f;
        break;
      }
      case 'vrrp_startup_delay': g.vrrpStartupDelay = cb.secs(n, 0, 0, 3600); break;
      case 'max_auto_priority': g.maxAutoPriority = n.args[0] === undefined ? 99 : cb.int(n, 0, -1, 99); break;
      case 'min_auto_priority_delay': g.minAutoPriorityDelay = cb.int(n, 0, 0, 1_000_000_000); break;
      default:
        if (GLOBAL_EXTRA.has(k)) cb.extra(g.extra, n);
        else cb.unknown(n, 'global_defs');
    }
  }
  const fifoScripts: [string, 'notifyFifo' | 'vrrpNotifyFifo' | 'lvsNotifyFifo'][] = [['notify_fifo_script', 'notifyFifo'], ['vrrp_notify_fifo_script', 'vrrpNotifyFifo'], ['lvs_notify_fifo_script', 'lvsNotifyFifo']];
  for (const [kw, field] of fifoScripts) {
    const v = g.extra[kw]?.[0];
    const f = g[field];
    if (v && f && v[0]) f.script = { argv: splitCommand(v[0]), raw: v[0], ...(v[1] ? { user: v[1] } : {}), ...(v[2] ? { group: v[2] } : {}) };
  }
}
