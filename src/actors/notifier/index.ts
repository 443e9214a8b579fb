export {
  splitCommandLine, genericNotifyArgv, notifyInvocations, fifoLine, execNotifies, FifoWriter, STOP_NOTIFY_TIMEOUT_MS,
} from './notify';
export type { NotifyState, FifoEvent, NotifyScript, NotifyConfig, NotifyInvocation } from './notify';
export {
  checkScriptSecure, lookupUser, defaultScriptUser, unsafeComponent, SECURITY_VIOLATION_MSG, CONFIG_TEST_EXIT_INSECURE,
} from './security';
export type { ScriptCheck, UserIds } from './security';
export {
  MailQueue, instanceAlert, groupAlert, realServerAlert, virtualServerAlert, shouldEmail, composeMail, createSmtpTransport,
  defaultRouterId,
} from './smtp';
export type { SmtpConfig, MailAlert, AlertState, MailQueueOptions, MailQueueStats } from './smtp';
