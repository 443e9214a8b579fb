/** Health checkers (issue 9): plans from the config model, the pure machine, one executor per check type, the actor. */
export { planChecker, formatService, formatVs, statusRanges, tlsFiles, SMTP_DEFAULT_HELO } from './config';
export type { CheckSpec, CheckerPlan, PlanResult, Target, UrlCheck, TlsFiles, HttpProtocol } from './config';
export { initialState, onOutcome, firstDelayMs, nextUrl, BOOTSTRAP_DELAY_MS } from './machine';
export type { MachineConfig, CheckerState, Outcome, Step, Transition, RetryStyle } from './machine';
export { runLocalCheck, isLocal } from './run';
export { miscVerdict, fileVerdict } from './verdicts';
export type { CheckerInit, CheckerResult, CheckerSnapshot, PingRequest, PingDone, ToChecker, FromChecker } from './actor';
