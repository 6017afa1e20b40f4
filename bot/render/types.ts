import type { KnownBlock } from '@slack/types';
import type { TargetRef } from '../../jobs/contracts/target.js';

/** A message ready for chat.postMessage / chat.update: blocks plus the plain fallback Slack shows in notifications. */
export interface RenderedMessage {
  /** Fallback and notification text; always set, at most 4000 characters. */
  text: string;
  blocks: KnownBlock[];
}

/** Where a result came from, for the footer and the re-run button. */
export interface RenderContext {
  cluster: string;
  jobId: string;
  /** Slack user id of whoever asked (e.g. `U0123ABC`). */
  requestedBy: string;
  /**
   * What the user asked for (owner kind, container). Optional: when set, the
   * "Re-run diagnose" button repeats exactly this; otherwise it is derived from
   * the result (the owner if one was named, else the pod).
   */
  requested?: TargetRef;
}

/** What a probe's or a debug run's result message says besides the result: where, for whom, its files. */
export interface ResultContext {
  cluster: string;
  requestId: string;
  requester: string;
  approvers: string[];
  artefactLines: string[];
}
