/**
 * Request bodies as Slack sends them to an app: slash commands (form fields) and interactivity
 * (`payload=<JSON>`: block_actions, view_submission). Field order and shapes follow Slack's documentation.
 */
import { randomBytes } from 'node:crypto';
import { SLACK_TEST_DEFAULTS as D } from './defaults.js';

/** Input for a slash command; unset fields take {@link SLACK_TEST_DEFAULTS}. */
export interface SlashCommandInput {
  text: string;
  userId?: string;
  userName?: string;
  channelId?: string;
  channelName?: string;
  teamId?: string;
  /** Default '/poddebug'. */
  command?: string;
  responseUrl?: string;
  triggerId?: string;
}

/** Input for a button click (block_actions). */
export interface BlockActionInput {
  actionId: string;
  value?: string;
  blockId?: string;
  userId?: string;
  channelId?: string;
  messageTs?: string;
  threadTs?: string;
  responseUrl?: string;
  triggerId?: string;
  /** The clicked message's text and blocks, if the handler reads them. */
  message?: { text?: string; blocks?: unknown[] };
}

/** Input for a modal submission (view_submission). */
export interface ViewSubmissionInput {
  callbackId: string;
  userId?: string;
  privateMetadata?: string;
  values: Record<string, Record<string, { type: string; value?: string }>>;
  viewId?: string;
  triggerId?: string;
}

/** A fresh trigger_id shaped like Slack's: `<digits>.<digits>.<32 hex>`. */
export function newTriggerId(): string {
  const a = 100000000000 + Math.floor(Math.random() * 899999999999);
  const b = 10000000000 + Math.floor(Math.random() * 89999999999);
  return `${a}.${b}.${randomBytes(16).toString('hex')}`;
}

/** A response_url shaped like Slack's (hooks.slack.com); pass the double's responseUrl() for a working one. */
export function placeholderResponseUrl(teamId: string): string {
  return `https://hooks.slack.com/commands/${teamId}/${Math.floor(Math.random() * 1e12)}/${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
}

function actionTs(): string {
  const ms = Date.now();
  return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1000).padStart(6, '0')}`;
}

/** The form-encoded body of a slash command, fields in Slack's order. */
export function slashCommandBody(input: SlashCommandInput): string {
  const teamId = input.teamId ?? D.teamId;
  return new URLSearchParams([
    ['token', D.verificationToken],
    ['team_id', teamId],
    ['team_domain', D.teamDomain],
    ['channel_id', input.channelId ?? D.channelId],
    ['channel_name', input.channelName ?? D.channelName],
    ['user_id', input.userId ?? D.userId],
    ['user_name', input.userName ?? D.userName],
    ['command', input.command ?? '/poddebug'],
    ['text', input.text],
    ['api_app_id', D.apiAppId],
    ['is_enterprise_install', 'false'],
    ['response_url', input.responseUrl ?? placeholderResponseUrl(teamId)],
    ['trigger_id', input.triggerId ?? newTriggerId()],
  ]).toString();
}

function userObject(userId: string): Record<string, unknown> {
  const name = userId === D.userId ? D.userName : userId.toLowerCase();
  return { id: userId, username: name, name, team_id: D.teamId };
}

/** The `payload` JSON of a block_actions request for a button in a message. */
export function blockActionPayload(a: BlockActionInput): Record<string, unknown> {
  const channelId = a.channelId ?? D.channelId;
  const messageTs = a.messageTs ?? actionTs();
  const container: Record<string, unknown> = {
    type: 'message',
    message_ts: messageTs,
    channel_id: channelId,
    is_ephemeral: false,
  };
  const message: Record<string, unknown> = {
    type: 'message',
    user: D.botUserId,
    bot_id: D.botId,
    app_id: D.apiAppId,
    ts: messageTs,
    text: a.message?.text ?? '',
    team: D.teamId,
    ...(a.message?.blocks ? { blocks: a.message.blocks } : {}),
  };
  if (a.threadTs) {
    container.thread_ts = a.threadTs;
    message.thread_ts = a.threadTs;
  }
  const teamId = D.teamId;
  return {
    type: 'block_actions',
    user: userObject(a.userId ?? D.userId),
    api_app_id: D.apiAppId,
    token: D.verificationToken,
    container,
    trigger_id: a.triggerId ?? newTriggerId(),
    team: { id: teamId, domain: D.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channelId, name: channelId === D.channelId ? D.channelName : channelId.toLowerCase() },
    message,
    state: { values: {} },
    response_url: a.responseUrl ?? placeholderResponseUrl(teamId),
    actions: [
      {
        action_id: a.actionId,
        block_id: a.blockId ?? randomBytes(3).toString('hex'),
        text: { type: 'plain_text', text: a.actionId, emoji: true },
        ...(a.value !== undefined ? { value: a.value } : {}),
        type: 'button',
        action_ts: actionTs(),
      },
    ],
  };
}

/** The `payload` JSON of a view_submission request. */
export function viewSubmissionPayload(v: ViewSubmissionInput): Record<string, unknown> {
  const viewId = v.viewId ?? `V0${randomBytes(5).toString('hex').toUpperCase()}`;
  return {
    type: 'view_submission',
    team: { id: D.teamId, domain: D.teamDomain },
    user: userObject(v.userId ?? D.userId),
    api_app_id: D.apiAppId,
    token: D.verificationToken,
    trigger_id: v.triggerId ?? newTriggerId(),
    view: {
      id: viewId,
      team_id: D.teamId,
      type: 'modal',
      blocks: [],
      private_metadata: v.privateMetadata ?? '',
      callback_id: v.callbackId,
      state: { values: v.values },
      hash: `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`,
      title: { type: 'plain_text', text: 'poddebug', emoji: true },
      clear_on_close: false,
      notify_on_close: false,
      close: null,
      submit: { type: 'plain_text', text: 'Submit', emoji: true },
      previous_view_id: null,
      root_view_id: viewId,
      app_id: D.apiAppId,
      external_id: '',
      app_installed_team_id: D.teamId,
      bot_id: D.botId,
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}
