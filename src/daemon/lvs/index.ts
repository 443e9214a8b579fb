/**
 * src/daemon/lvs — the LVS half's kernel side on the main thread: the desired IPVS table from the
 * configuration and the checkers' verdicts (desired.ts), the minimal operations towards it
 * (reconcile.ts), lvs_sync_daemon and lvs_timeouts (syncd.ts), and their application through
 * src/io/ipvs (apply.ts).
 */
export {
  desiredTable, initialHealth, quorumState, effectiveQuorum, lvsFlushSettings, vsId, rsId,
  type RsHealth, type DesiredEntry, type DesiredTable,
} from './desired';
export { reconcile, ownedAfter, stopOps, sameService, sameDest, svcName, destName, type IpvsOp, type TableEntry, type Owned, type FlushOnStop } from './reconcile';
export { applyOp, syncTable, clearTable, applySyncd, type SyncResult } from './apply';
export { syncDaemonSpec, syncdBecome, syncdShutdown, desiredTimeouts, type SyncDaemonSpec, type SyncdOp, type SyncdRole } from './syncd';
