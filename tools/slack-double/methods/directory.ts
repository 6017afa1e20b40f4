/** auth.test, users.*, usergroups.users.list, conversations.info: the workspace directory. */
import { str } from '../request-body.js';
import type { DirectoryUser, SlackStore } from '../store.js';
import { type ApiResult, fail, type MethodHandler } from './result.js';

function tzInfo(tz: string): { tz_label: string; tz_offset: number } {
  try {
    const now = new Date();
    const part = (style: 'long' | 'longOffset') =>
      new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: style })
        .formatToParts(now)
        .find((p) => p.type === 'timeZoneName')?.value ?? '';
    const m = /GMT([+-])(\d{2}):(\d{2})/.exec(part('longOffset'));
    const offset = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60) : 0;
    return { tz_label: part('long'), tz_offset: offset };
  } catch {
    return { tz_label: 'Coordinated Universal Time', tz_offset: 0 };
  }
}

function apiUser(store: SlackStore, u: DirectoryUser): Record<string, unknown> {
  const tz = u.tz ?? 'UTC';
  return {
    id: u.id,
    team_id: store.cfg.teamId,
    name: u.name,
    deleted: false,
    real_name: u.name,
    tz,
    ...tzInfo(tz),
    is_admin: false,
    is_owner: false,
    is_bot: false,
    is_app_user: false,
    updated: Math.floor(store.cfg.now() / 1000),
    profile: {
      real_name: u.name,
      display_name: u.name,
      real_name_normalized: u.name,
      display_name_normalized: u.name,
      ...(u.email ? { email: u.email } : {}),
      team: store.cfg.teamId,
    },
  };
}

const authTest: MethodHandler = (store) => ({
  ok: true,
  url: `https://${store.cfg.teamDomain}.slack.com/`,
  team: 'Poddebug Test',
  user: 'poddebug',
  team_id: store.cfg.teamId,
  user_id: store.cfg.botUserId,
  bot_id: store.cfg.botId,
  is_enterprise_install: false,
});

const usersInfo: MethodHandler = (store, args) => {
  const u = store.users.get(str(args.user) ?? '');
  return u ? { ok: true, user: apiUser(store, u) } : fail('user_not_found');
};

const lookupByEmail: MethodHandler = (store, args) => {
  const email = (str(args.email) ?? '').toLowerCase();
  const u = [...store.users.values()].find((x) => x.email?.toLowerCase() === email);
  return u ? { ok: true, user: apiUser(store, u) } : fail('users_not_found');
};

const usergroupUsers: MethodHandler = (store, args) => {
  const users = store.usergroups.get(str(args.usergroup) ?? '');
  return users ? { ok: true, users: [...users] } : fail('no_such_subteam');
};

const conversationsInfo: MethodHandler = (store, args): ApiResult => {
  const id = store.resolveChannel(str(args.channel) ?? '');
  const c = store.channels.get(id);
  if (!c) return fail('channel_not_found');
  return {
    ok: true,
    channel: {
      id: c.id,
      name: c.name,
      name_normalized: c.name,
      is_channel: true,
      is_group: false,
      is_im: false,
      is_private: false,
      is_archived: false,
      is_general: false,
      is_member: c.isMember,
      is_shared: false,
      is_ext_shared: false,
      is_org_shared: false,
      context_team_id: store.cfg.teamId,
      created: 1700000000,
      creator: 'U0TESTUSER',
      topic: { value: '', creator: '', last_set: 0 },
      purpose: { value: '', creator: '', last_set: 0 },
    },
  };
};

/** Handlers for the directory methods. */
export const DIRECTORY_METHODS: Record<string, MethodHandler> = {
  'auth.test': authTest,
  'users.info': usersInfo,
  'users.lookupByEmail': lookupByEmail,
  'usergroups.users.list': usergroupUsers,
  'conversations.info': conversationsInfo,
};
