/**
 * Writes keepalived's dump files on DATA, STATS, STATS_CLEAR and JSON: formatted from a fresh view
 * (dump-files.ts), written to a temporary file beside the target and renamed over it, so a reader
 * never sees half a file; mode 0600 like keepalived's (the JSON carries auth_data).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dumpPath, formatData, formatJson, formatStats, StatsBaseline, type DumpKind, type DumpView } from './dump-files';

export interface DumpFileOptions {
  dataFile?: string;
  statsFile?: string;
  jsonFile?: string;
}

interface DumpLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** tmp + rename in the target's directory (rename is atomic within one filesystem). */
export function writeFileAtomic(file: string, text: string, mode = 0o600): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, text, { mode });
    fs.chmodSync(tmp, mode); // writeFileSync's mode only applies to a new file
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export class DumpFiles {
  private readonly baseline = new StatsBaseline();

  constructor(
    private readonly opts: DumpFileOptions,
    private readonly log: DumpLog,
  ) {}

  path(kind: DumpKind): string {
    return dumpPath(kind, kind === 'data' ? this.opts.dataFile : kind === 'stats' ? this.opts.statsFile : this.opts.jsonFile);
  }

  /** Writes one dump; 'stats-clear' writes the stats, then zeroes what the next dumps show. */
  write(kind: DumpKind | 'stats-clear', view: DumpView): void {
    const file = this.path(kind === 'stats-clear' ? 'stats' : kind);
    const shown = view.instances.map((i) => ({ ...i, stats: this.baseline.since(i.name, i.stats) }));
    const text = kind === 'data' ? formatData({ ...view, instances: shown }) : kind === 'json' ? formatJson(shown) : formatStats(shown);
    try {
      writeFileAtomic(file, text);
    } catch (e) {
      this.log.error({ code: 'E_DUMP', err: e, file }, `Can't open ${file} (${(e as Error).message})`);
      return;
    }
    if (kind === 'stats-clear') for (const i of view.instances) this.baseline.clear(i.name, i.stats);
  }
}
