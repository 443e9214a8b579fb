/** ../shared/tools/vm-run (a kernel with IPVS under QEMU) for the VM test files. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The vm-run script; fails the test when there is none (no VM, no pass). */
export function findVmRun(root: string): string {
  const candidates = [process.env.KTS_VM_RUN, path.resolve(root, '../shared/tools/vm-run'), '/work/shared/tools/vm-run'].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  if (!found) assert.fail(`vm-run not found (tried ${candidates.join(', ')}; set KTS_VM_RUN): the IPVS tests need a kernel with IPVS`);
  return found;
}
