import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { ApprovalSigner } from '../approval-signer.js';
import type { AuditLog } from '../audit/index.js';
import type { Authorizer } from '../auth.js';
import type { Logger } from '../log.js';
import type { Queues } from '../queues.js';
import { RequestAudit } from './audit.js';
import { DiagnoseRequests } from './diagnose.js';
import { Drafts } from './drafts.js';
import { RequestEngine } from './engine.js';
import { JobControl } from './job-control.js';
import { diagnoseCancelKind, privilegedCancelKind } from './job-control-kinds.js';
import { PrivilegedRequests } from './privileged.js';
import { PrivilegedClicks } from './privileged-clicks.js';
import { RequestStore } from './store.js';
import { RequestThreads } from './thread.js';
import { uploadArtefacts } from './uploads.js';

export { RequestAudit } from './audit.js';
export type { DiagnoseAsk, DiagnoseRequests } from './diagnose.js';
export type { Consumed, Draft, Drafts } from './drafts.js';
export type { RequestEngine } from './engine.js';
export type { CancelKind, CancelOutcome, JobControl } from './job-control.js';
export type { PrivilegedRequests, ProbeAsk } from './privileged.js';
export type { PrivilegedClicks } from './privileged-clicks.js';
export { ChannelRefused } from './thread.js';

export interface RequestsDeps {
  redis: Redis;
  queues: Queues;
  client: WebClient;
  /** A client that never retries (progress updates). */
  quickClient: WebClient;
  /** A client that never retries and rejects 429s (new messages: the thread retries them itself). */
  postClient: WebClient;
  auditLog: AuditLog;
  auth: Authorizer;
  logger: Logger;
  now: () => number;
  eventsConnection: () => Redis;
  enqueueTimeoutMs: number;
  /** Signs approved runs (APPROVAL_SIGNING_KEY_FILE). */
  signer?: ApprovalSigner;
  sweepMs?: number;
  announceGraceMs?: number;
  lockMs?: number;
}

/** Everything the listeners use to make and move requests, wired once. */
export interface Requests {
  engine: RequestEngine;
  diagnose: DiagnoseRequests;
  privileged: PrivilegedRequests;
  clicks: PrivilegedClicks;
  drafts: Drafts;
  audit: RequestAudit;
  /** `/poddebug jobs` and `/poddebug cancel`; kinds plug in with `jobs.register`. */
  jobs: JobControl;
}

export function createRequests(d: RequestsDeps): Requests {
  const store = new RequestStore(d.redis);
  RequestStore.prepareTransactions(d.queues.connection);
  const audit = new RequestAudit(d.auditLog, d.logger);
  const engine = new RequestEngine({
    store,
    queues: d.queues,
    audit,
    logger: d.logger,
    eventsConnection: d.eventsConnection,
    now: d.now,
    sweepMs: d.sweepMs,
    announceGraceMs: d.announceGraceMs,
    lockMs: d.lockMs,
  });
  const threads = new RequestThreads({
    client: d.client,
    quickClient: d.quickClient,
    postClient: d.postClient,
    store,
    logger: d.logger,
    now: d.now,
    claimStaleMs: 2 * engine.lockMs,
  });
  const common = { store, queues: d.queues, threads, audit, engine, logger: d.logger, now: d.now };
  const diagnose = new DiagnoseRequests({
    ...common,
    enqueueTimeoutMs: d.enqueueTimeoutMs,
    uploads: (input) => uploadArtefacts(d.client, d.redis, input),
  });
  const privileged = new PrivilegedRequests({
    ...common,
    auth: d.auth,
    enqueueTimeoutMs: d.enqueueTimeoutMs,
    ...(d.signer ? { signer: d.signer } : {}),
    uploads: (input) => uploadArtefacts(d.client, d.redis, input),
  });
  engine.register('diagnose', diagnose);
  engine.register('privileged', privileged);
  const jobs = new JobControl({ ...common, redis: d.redis, auth: d.auth, clusters: d.queues.clusters });
  jobs.register('diagnose', diagnoseCancelKind(jobs, { threads, logger: d.logger }));
  jobs.register(
    'privileged',
    privilegedCancelKind(jobs, { queues: d.queues, privileged, redis: d.redis, logger: d.logger }),
  );
  return {
    engine,
    diagnose,
    privileged,
    clicks: new PrivilegedClicks(privileged),
    drafts: new Drafts(d.redis),
    audit,
    jobs,
  };
}
