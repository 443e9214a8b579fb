/** The daemon's main thread: config → supervisor → actors, io at the edge. Filled in by the integration step. */
export interface DaemonOptions {
  configFile: string;
  configId?: string;
  dontFork: boolean;
  logConsole: boolean;
  logDetail: boolean;
  logFile?: string;
  vrrpOnly: boolean;
  checkOnly: boolean;
  pidFile?: string;
  vrrpPidFile?: string;
  checkersPidFile?: string;
  controlSocket?: string;
  dontReleaseVrrp: boolean;
  enableFaultInjection: boolean;
  actorThreads?: number;
}

export async function runDaemon(_opts: DaemonOptions): Promise<number> {
  process.stderr.write('keepalived-ts: daemon not wired yet\n');
  return 3;
}
