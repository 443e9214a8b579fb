/**
 * Applies reconcile's operations through src/io/ipvs. As keepalived's ipvs_talk: an add that finds
 * the entry already there (EEXIST) and a delete that finds it gone (ENOENT, ESRCH for a service or
 * a stopped sync daemon) are not errors.
 */
import * as ipvs from '../../io/ipvs';
import { alreadyDone } from '../../io/errors';
import { reconcile, ownedAfter, stopOps, type IpvsOp, type Owned, type TableEntry, type FlushOnStop } from './reconcile';
import { desiredTimeouts, timeoutsToSet, type SyncDaemonSpec, type SyncdOp } from './syncd';
import type { KeepalivedConfig } from '../../config/model';
import type { IpvsTimeouts } from '../../protocol/ipvs';

export async function applyOp(op: IpvsOp): Promise<void> {
  try {
    switch (op.op) {
      case 'flush': return await ipvs.flushIpvs();
      case 'add-service': return await ipvs.addService(op.service);
      case 'edit-service': return await ipvs.editService(op.service);
      case 'del-service': return await ipvs.delService(op.service);
      case 'add-dest': return await ipvs.addDest(op.service, op.dest);
      case 'edit-dest': return await ipvs.editDest(op.service, op.dest);
      case 'del-dest': return await ipvs.delDest(op.service, op.dest);
      default: {
        const never: never = op;
        throw new Error(`unknown IPVS op ${JSON.stringify(never)}`);
      }
    }
  } catch (e) {
    if (op.op.startsWith('add-') && alreadyDone('add', e)) return;
    if (op.op.startsWith('del-') && alreadyDone('del', e)) return;
    throw e;
  }
}

export interface SyncResult {
  ops: IpvsOp[];
  owned: Set<string>;
}

/**
 * Reads the kernel table, applies the difference to `desired`, returns what was done and what we
 * now own. `flush` (global `lvs_flush`, at start only): empty the whole table first, as keepalived.
 */
export async function syncTable(desired: readonly TableEntry[], owned: Owned, opts: { flush?: boolean } = {}): Promise<SyncResult> {
  const ops: IpvsOp[] = opts.flush ? [{ op: 'flush' }, ...reconcile(desired, [], new Set())] : reconcile(desired, await ipvs.readTable(), owned);
  for (const op of ops) await applyOp(op);
  return { ops, owned: ownedAfter(owned, desired, ops) };
}

/** Removes at stop what keepalived removes (see stopOps). */
export async function clearTable(owned: Owned, mode: FlushOnStop): Promise<IpvsOp[]> {
  const ops = stopOps(await ipvs.readTable(), owned, mode);
  for (const op of ops) await applyOp(op);
  return ops;
}

/** Starts/stops the connection-sync daemon; stopping one that is not running or starting one that runs is not an error. */
export async function applySyncd(ops: readonly SyncdOp[], spec: SyncDaemonSpec): Promise<void> {
  for (const o of ops) {
    try {
      if (o.op === 'start') await ipvs.startSyncDaemon({ ...spec.daemon, state: o.state });
      else await ipvs.stopSyncDaemon(o.state, spec.daemon.syncId);
    } catch (e) {
      if (alreadyDone(o.op === 'start' ? 'add' : 'del', e)) continue;
      throw e;
    }
  }
}

/**
 * lvs_timeouts at start and reload: reads the kernel's values the first time any is configured
 * (keepalived restores those at stop), then sets what timeoutsToSet says. Returns the values found.
 */
export async function applyTimeouts(config: KeepalivedConfig, found: IpvsTimeouts | undefined): Promise<IpvsTimeouts | undefined> {
  const before = found ?? (desiredTimeouts(config) ? await ipvs.getTimeouts() : undefined);
  const t = timeoutsToSet(config, before);
  if (t) await ipvs.setTimeouts(t);
  return before;
}
