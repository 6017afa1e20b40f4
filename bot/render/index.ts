/** Block Kit renderers: results, failures and status in, Slack messages out. Pure. */
export { diagnoseCommandFor, renderAmbiguous } from './ambiguous.js';
export { renderDiagnosis } from './diagnosis.js';
export { renderFailure } from './failure.js';
export { fitsBlockKitLimits, LIMITS } from './limits.js';
export { escapeMrkdwn } from './mrkdwn.js';
export { encodeRerunValue, parseRerunValue, RERUN_ACTION_ID } from './rerun.js';
export { countBySeverity, formatCounts, isHealthy, type SeverityCounts, verdictLine } from './severity.js';
export { renderStatus, type StatusInput, type StatusPhase } from './status.js';
export type { RenderContext, RenderedMessage } from './types.js';
