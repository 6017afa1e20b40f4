/** views.open / views.push / views.update: modals, with trigger_id use-once and hash checks. */
import { randomBytes } from 'node:crypto';
import { validateView } from '../block-kit.js';
import { str } from '../request-body.js';
import type { SlackStore } from '../store.js';
import type { RecordedView } from '../types.js';
import { type ApiResult, type Args, fail, type MethodHandler, missing } from './result.js';

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function apiView(store: SlackStore, v: RecordedView): Record<string, unknown> {
  return {
    id: v.id,
    team_id: store.cfg.teamId,
    type: 'modal',
    blocks: [],
    private_metadata: '',
    callback_id: '',
    external_id: '',
    clear_on_close: false,
    notify_on_close: false,
    close: null,
    submit: null,
    ...v.view,
    state: { values: {} },
    hash: v.hash,
    previous_view_id: null,
    root_view_id: v.id,
    app_id: store.cfg.appId,
    app_installed_team_id: store.cfg.teamId,
    bot_id: store.cfg.botId,
  };
}

function checkView(args: Args): ApiResult | Record<string, unknown> {
  if (args.view === undefined) return missing('view');
  if (!isObj(args.view)) return fail('invalid_arguments', ['[ERROR] must be an object [json-pointer:/view]']);
  const errors = validateView(args.view);
  return errors.length > 0 ? fail('invalid_arguments', errors) : args.view;
}

function openWithTrigger(store: SlackStore, args: Args): ApiResult {
  const trigger = str(args.trigger_id);
  if (!trigger) return missing('trigger_id');
  if (store.usedTriggers.has(trigger)) return fail('exchanged_trigger_id');
  const view = checkView(args);
  if ('ok' in view) return view as ApiResult;
  store.usedTriggers.add(trigger);
  const rec: RecordedView = {
    id: store.nextId('V'),
    trigger_id: trigger,
    view,
    hash: `${Math.floor(store.cfg.now() / 1000)}.${randomBytes(4).toString('hex')}`,
    updates: 0,
  };
  store.views.set(rec.id, rec);
  return { ok: true, view: apiView(store, rec) };
}

const update: MethodHandler = (store, args) => {
  const viewId = str(args.view_id);
  const externalId = str(args.external_id);
  if (!viewId && !externalId) return missing('view_id');
  const rec = viewId
    ? store.views.get(viewId)
    : [...store.views.values()].find((v) => v.view.external_id === externalId);
  if (!rec) return fail('not_found');
  const hash = str(args.hash);
  if (hash && hash !== rec.hash) return fail('hash_conflict');
  const view = checkView(args);
  if ('ok' in view) return view as ApiResult;
  rec.view = view;
  rec.updates += 1;
  rec.hash = `${Math.floor(store.cfg.now() / 1000)}.${randomBytes(4).toString('hex')}`;
  return { ok: true, view: apiView(store, rec) };
};

/** Handlers for views.*. */
export const VIEW_METHODS: Record<string, MethodHandler> = {
  'views.open': openWithTrigger,
  'views.push': openWithTrigger,
  'views.update': update,
};
