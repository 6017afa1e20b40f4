// The playground page: plays Slack's part for one incident channel. Polls the page server for what the bot
// posted (through the Slack Web API double) and sends the bot Slack's signed requests through it.
import { blocks, esc, modal, mrkdwn } from '/blockkit.js';

const $ = (id) => document.getElementById(id);
const ui = { user: '', thread: '', tab: 'thread', last: '', shownView: '', state: null };

const names = {
  user: (id) =>
    ui.state?.people.find((p) => p.id === id)?.name ?? (id === ui.state?.botUserId ? 'poddebug' : undefined),
  channel: (id) => (id === ui.state?.channel.id ? ui.state.channel.name : undefined),
};

async function api(path, body) {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: ui.user, ...body }),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(json.error ?? `HTTP ${res.status}`);
  return json;
}

function time(ts) {
  return new Date(Number(ts.split('.')[0]) * 1000).toLocaleTimeString([], { hour12: false });
}

function kib(n) {
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
}

function fileCards(files) {
  return (files ?? [])
    .map((f) => {
      const preview = f.name.endsWith('.png')
        ? `<img class="file-preview" src="/pg/files/${esc(f.id)}?inline=1" alt="${esc(f.title)}">`
        : '';
      return `<a class="file-card" href="/pg/files/${esc(f.id)}" download="${esc(f.name)}" data-file="${esc(f.name)}">${preview}<b>${esc(f.title)}</b><span class="size">${esc(f.name)} · ${kib(f.bytes)}</span></a>`;
    })
    .join('');
}

function message(m, replies) {
  const bot = m.user === ui.state.botUserId;
  const who = bot ? 'poddebug' : (names.user(m.user) ?? m.user);
  const only = m.ephemeral ? '<div class="only-you">Only visible to you</div>' : '';
  const edited = m.edited ? ' <span class="edited">(edited)</span>' : '';
  const more =
    replies > 0
      ? `<button type="button" class="replies-link" data-open-thread="${esc(m.ts)}">${replies} ${replies === 1 ? 'reply' : 'replies'}</button>`
      : '';
  return `<div class="msg${m.ephemeral ? ' ephemeral' : ''}" data-ts="${esc(m.ts)}"${m.ephemeral ? ' data-ephemeral="1"' : ''}>
    <div class="avatar">${esc(who.slice(0, 1).toUpperCase())}</div>
    <div class="msg-body">${only}<div class="msg-head"><b>${esc(who)}</b>${bot ? '<span class="app">APP</span>' : ''}<time>${time(m.ts)}</time>${edited}</div>
    <div class="msg-blocks">${blocks(m.blocks, m.text, names)}</div>${fileCards(m.files)}${more}</div></div>`;
}

function render(s) {
  ui.state = s;
  const me = s.people.find((p) => p.id === ui.user);
  $('role').textContent = me ? me.role : '';
  $('channel-name').textContent = `# ${s.channel.name}`;
  $('channel-title').textContent = `# ${s.channel.name}`;
  $('probe-note').innerHTML = s.probes.unavailable
    ? `<b>Node probes cannot run here:</b> ${esc(s.probes.unavailable)}. Diagnose works; a probe request stops at the worker.`
    : `<b>Node probes run for real</b> against pod <code>${esc(s.probes.livePod.namespace)}/${esc(s.probes.livePod.name)}</code>: try <code>/poddebug mem ${esc(s.probes.livePod.name)} -n ${esc(s.probes.livePod.namespace)}</code>`;
  const count = new Map();
  for (const m of s.messages)
    if (m.thread_ts && m.thread_ts !== m.ts) count.set(m.thread_ts, (count.get(m.thread_ts) ?? 0) + 1);
  const top = [
    ...s.messages.filter((m) => !m.thread_ts || m.thread_ts === m.ts || m.reply_broadcast),
    ...s.ephemerals.filter((e) => !e.thread_ts),
  ];
  top.sort((a, b) => (a.ts < b.ts ? -1 : 1));
  const box = $('messages');
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  box.innerHTML = top.length
    ? top.map((m) => message(m, m.ephemeral ? 0 : (count.get(m.ts) ?? 0))).join('')
    : '<div class="empty">No messages yet. Type a command below, for example <code>/poddebug diagnose deploy/checkout -n shop</code>.</div>';
  if (atBottom) box.scrollTop = box.scrollHeight;
  renderThread(s);
  $('audit').innerHTML = s.audit.length
    ? s.audit
        .slice()
        .reverse()
        .map((e) => {
          const who = names.user(e.actor) ?? e.actor;
          const target = e.target ? `${e.target.namespace ?? ''}/${e.target.name ?? ''}` : '';
          return `<details class="audit-entry"><summary><b>#${esc(e.seq)} ${esc(e.type)}</b> ${esc(e.action ?? '')} ${esc(target)} by ${esc(who)} <time>${esc(e.at ?? '')}</time></summary>${esc(JSON.stringify(e, null, 1))}</details>`;
        })
        .join('')
    : '<div class="empty">No audit events yet.</div>';
  renderModal(s.view);
  document.body.dataset.user = s.me;
}

function renderThread(s) {
  const pane = $('thread');
  const parent = s.messages.find((m) => m.ts === ui.thread);
  if (!parent) {
    pane.innerHTML = '<div class="empty">Open a thread: click "replies" under a message.</div>';
    return;
  }
  const replies = [
    ...s.messages.filter((m) => m.thread_ts === ui.thread && m.ts !== ui.thread),
    ...s.ephemerals.filter((e) => e.thread_ts === ui.thread),
  ].sort((a, b) => (a.ts < b.ts ? -1 : 1));
  pane.innerHTML = `<div class="thread-title">Thread</div>${message(parent, 0)}<hr class="bk-divider">${replies.map((m) => message(m, 0)).join('')}`;
}

function renderModal(view) {
  const layer = $('modal-layer');
  if (!view) {
    layer.classList.add('hidden');
    layer.innerHTML = '';
    ui.shownView = '';
    return;
  }
  const key = `${view.id}:${view.hash}:${JSON.stringify(view.errors)}`;
  if (key === ui.shownView) return;
  ui.shownView = key;
  layer.innerHTML = modal(view.view, names);
  const form = layer.querySelector('form');
  form.dataset.viewId = view.id;
  for (const [blockId, msg] of Object.entries(view.errors ?? {})) {
    const el = form.querySelector(`[data-error-for="${CSS.escape(blockId)}"]`);
    if (el) el.textContent = msg;
  }
  layer.classList.remove('hidden');
  form.querySelector('input, textarea')?.focus();
}

async function refresh() {
  if (!ui.user) return;
  try {
    const res = await fetch(`/pg/state?user=${encodeURIComponent(ui.user)}`);
    const text = await res.text();
    if (text === ui.last) return;
    ui.last = text;
    render(JSON.parse(text));
  } catch (e) {
    $('composer-error').textContent = `The playground stopped answering (${e.message}).`;
  }
}

async function act(fn) {
  $('composer-error').textContent = '';
  try {
    const r = await fn();
    if (r?.error) $('composer-error').textContent = r.error;
  } catch (e) {
    $('composer-error').textContent = e.message;
  }
  await refresh();
}

$('composer').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const text = $('command').value.trim();
  if (!text) return;
  $('command').value = '';
  act(() => api('/pg/command', { text }));
});

document.addEventListener('click', (ev) => {
  const open = ev.target.closest('[data-open-thread]');
  if (open) {
    ui.thread = open.dataset.openThread;
    switchTab('thread');
    renderThread(ui.state);
    return;
  }
  const tab = ev.target.closest('[data-tab]');
  if (tab) return switchTab(tab.dataset.tab);
  if (ev.target.closest('[data-modal-close]')) {
    const form = ev.target.closest('form');
    $('modal-layer').classList.add('hidden');
    return act(() => api('/pg/close', { viewId: form.dataset.viewId }));
  }
  const btn = ev.target.closest('button[data-action-id]');
  if (!btn || btn.closest('form')) return;
  const msg = btn.closest('[data-ts]');
  if (!msg || msg.dataset.ephemeral) return;
  if (btn.dataset.confirm && !window.confirm(btn.dataset.confirm)) return;
  if (btn.dataset.url) window.open(btn.dataset.url, '_blank', 'noopener');
  act(() =>
    api('/pg/action', {
      messageTs: msg.dataset.ts,
      actionId: btn.dataset.actionId,
      blockId: btn.dataset.blockId,
      value: btn.dataset.value,
    }),
  );
});

document.addEventListener('submit', (ev) => {
  const form = ev.target.closest('.bk-modal');
  if (!form) return;
  ev.preventDefault();
  const values = {};
  for (const el of form.querySelectorAll('[data-type="plain_text_input"]'))
    values[el.dataset.blockId] = { actionId: el.dataset.actionId, value: el.value };
  act(async () => {
    const r = await api('/pg/submit', { viewId: form.dataset.viewId, values });
    if (!r.errors) $('modal-layer').classList.add('hidden');
    return r;
  });
});

function switchTab(name) {
  ui.tab = name;
  for (const t of document.querySelectorAll('[data-tab]'))
    t.classList.toggle('active', t.dataset.tab === name);
  $('thread').classList.toggle('hidden', name !== 'thread');
  $('audit').classList.toggle('hidden', name !== 'audit');
}

async function start() {
  const first = await fetch(`/pg/state?user=${encodeURIComponent('U0PGREQ01')}`).then((r) => r.json());
  const select = $('user');
  select.innerHTML = first.people.map((p) => `<option value="${esc(p.id)}">${esc(p.name)}</option>`).join('');
  const wanted = new URLSearchParams(location.search).get('user');
  ui.user = first.people.some((p) => p.id === wanted) ? wanted : first.people[0].id;
  select.value = ui.user;
  select.addEventListener('change', () => {
    ui.user = select.value;
    ui.last = '';
    ui.shownView = '';
    refresh();
  });
  await refresh();
  setInterval(refresh, 500);
}

start();
// mrkdwn is exported for the console: window.pg.mrkdwn('*bold*')
window.pg = { mrkdwn };
