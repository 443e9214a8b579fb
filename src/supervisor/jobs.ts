/**
 * One-shot jobs on piscina (notify scripts, SMTP sends, MISC_CHECK scripts): bounded concurrency,
 * per-job timeout and abort. Scripts and in-JS tasks use separate pools: timing out a JS task terminates
 * its worker thread, which must never orphan a running script's process group.
 */
import * as path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { KtsError } from '../util/errors';
import type { ScriptSpec, JobResult, WorkerTask, WorkerReply } from './job-worker';

export type { JobResult };

/**
 * A script job: the worker's ScriptSpec (argv[0] absolute or searched in env.PATH; env defaults to PATH
 * only, like keepalived's clean environment; umask e.g. 0o177; killGraceMs SIGTERM → SIGKILL, default
 * 500 ms) plus an AbortSignal that stops it.
 */
export interface ScriptJob extends Omit<ScriptSpec, 'maxOutput'> {
  signal?: AbortSignal;
}

export interface JobPoolOptions {
  /** concurrent scripts (children) at most; default 32 */
  maxScripts?: number;
  /** threads for in-JS tasks; default 2 */
  maxTaskThreads?: number;
  /** queued jobs beyond the concurrency before new ones are refused; default 1,000 */
  maxQueue?: number;
}

export class JobPool {
  private readonly scripts: Piscina<WorkerTask, WorkerReply>;
  private readonly tasks: Piscina<WorkerTask, WorkerReply>;

  constructor(opts: JobPoolOptions = {}) {
    const filename = path.join(__dirname, 'job-worker.js');
    const maxScripts = opts.maxScripts ?? 32;
    // a script job is a wait on a child: one thread carries many
    this.scripts = new Piscina({ filename, minThreads: 0, maxThreads: 1, concurrentTasksPerWorker: maxScripts, maxQueue: opts.maxQueue ?? 1000, idleTimeout: 30_000 });
    this.tasks = new Piscina({ filename, minThreads: 0, maxThreads: opts.maxTaskThreads ?? 2, concurrentTasksPerWorker: 1, maxQueue: opts.maxQueue ?? 1000, idleTimeout: 30_000 });
  }

  async runJob(kind: 'script', job: ScriptJob): Promise<JobResult> {
    if (kind !== 'script') throw new KtsError('E_JOB_KIND', `unknown job kind ${String(kind)}`);
    if (job.signal?.aborted) throw new KtsError('E_JOB_ABORTED', 'job aborted before start');
    const { signal, ...rest } = job;
    const spec: ScriptSpec = rest;
    const ch = new MessageChannel();
    const onAbort = (): void => ch.port1.postMessage('abort');
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const r = await this.scripts.run({ kind: 'script', spec, port: ch.port2 }, { transferList: [ch.port2] });
      if (!r.ok) throw new KtsError(r.error.code, r.error.message);
      return r.value as JobResult;
    } catch (e) {
      if (e instanceof KtsError) throw e;
      throw new KtsError('E_JOB_FAILED', `script ${job.argv[0] ?? ''}: ${(e as Error).message}`);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      ch.port1.close();
    }
  }

  /** Run `run(payload)` (or the default export) of `modulePath` in a worker; rejects E_JOB_TIMEOUT at the timeout. */
  async runTask<R = unknown>(modulePath: string, payload: unknown, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<R> {
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    try {
      const r = await this.tasks.run({ kind: 'task', modulePath, payload }, { signal });
      if (!r.ok) throw new KtsError(r.error.code, r.error.message);
      return r.value as R;
    } catch (e) {
      if (e instanceof KtsError) throw e;
      if (timeout.aborted) throw new KtsError('E_JOB_TIMEOUT', `task ${modulePath} timed out after ${opts.timeoutMs} ms`);
      if (opts.signal?.aborted) throw new KtsError('E_JOB_ABORTED', `task ${modulePath} aborted`);
      throw new KtsError('E_JOB_FAILED', `task ${modulePath}: ${(e as Error).message}`);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.scripts.close({ force: true }), this.tasks.close({ force: true })]);
  }
}

let shared: JobPool | undefined;

function pool(): JobPool {
  shared ??= new JobPool();
  return shared;
}

/** Run a script on the shared job pool. */
export function runJob(kind: 'script', job: ScriptJob): Promise<JobResult> {
  return pool().runJob(kind, job);
}

/** Run an in-JS task on the shared job pool. */
export function runTask<R = unknown>(modulePath: string, payload: unknown, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<R> {
  return pool().runTask<R>(modulePath, payload, opts);
}

export async function closeJobs(): Promise<void> {
  const p = shared;
  shared = undefined;
  await p?.close();
}
