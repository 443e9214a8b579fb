/** ../shared/tools/vm-run (a kernel with IPVS under QEMU) for the VM test files. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The vm-run script; fails the test when there is none (no VM, no pass). */
export function findVmRun(root: string): string {
  const candidates = [process.env.KTS_VM_RUN, path.resolve(root, '../shared/tools/vm-run'), '/work/shared/tools/vm-run'].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  if (!found) assert.fail(`vm-run not found (tried ${candidates.join(', ')}; set KTS_VM_RUN): the IPVS tests need a kernel with IPVS`);
  return found;
}

export interface VmRun {
  /** vm-run's exit status (the command's; 124 timeout, 125 VM failure), null when it could not start */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One boot of vm-run running `node <batch>` from the checkout; prints the wall time as `# <label>: …`. */
export async function runVmBatch(root: string, batch: string, timeoutS: number, label: string): Promise<VmRun> {
  const vmRun = findVmRun(root);
  const t0 = Date.now();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const code = await new Promise<number | null>((resolve) => {
    const p = spawn(vmRun, ['-q', '--timeout', String(timeoutS), '--', 'node', batch], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => err.push(d));
    p.on('error', (e) => { err.push(Buffer.from(String(e))); resolve(null); });
    p.on('close', (c) => resolve(c));
  });
  process.stdout.write(`# ${label}: one VM run, ${((Date.now() - t0) / 1000).toFixed(1)} s wall time, exit ${code}\n`);
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}
