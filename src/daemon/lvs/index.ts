/**
 * src/daemon/lvs — the LVS half on the main thread: the checker actors and what their verdicts
 * decide (half.ts; health.ts folds them per real server, policy.ts holds ha_suspend and smtp_alert
 * rules), the desired IPVS table from the configuration and the real servers' health (desired.ts),
 * the minimal operations towards it (reconcile.ts), lvs_sync_daemon and lvs_timeouts (syncd.ts),
 * and their application through src/io/ipvs (apply.ts).
 */
export { LvsHalf } from './half';
export {
  desiredTable, initialHealth, quorumState, effectiveQuorum, lvsFlushSettings, vsId, rsId,
  type RsHealth, type DesiredEntry, type DesiredTable,
} from './desired';
export { reconcile, ownedAfter, stopOps, sameService, sameDest, svcName, destName, type IpvsOp, type TableEntry, type Owned, type FlushOnStop } from './reconcile';
export { applyOp, syncTable, clearTable, applySyncd, type SyncResult } from './apply';
export { syncDaemonSpec, syncdBecome, syncdShutdown, desiredTimeouts, type SyncDaemonSpec, type SyncdOp, type SyncdRole } from './syncd';
export { planAll, healthOf, healthMap, applyResult, carryOver, diffEvents, type RsTrack, type LvsEvent, type CheckerRef } from './health';
export { haSuspended, vsSmtp, rsSmtp, checkName } from './policy';
