/**
 * Block Kit → HTML, for the playground's page (served to the browser transpiled, see page-server.ts) and for
 * the test that renders every message the bot sends. Pure string building: no DOM, no I/O. Every piece of
 * text is escaped; a block or element this renderer does not know becomes a visible
 * `unsupported block: <type>` placeholder, which the tests look for.
 */

export const UNSUPPORTED = 'unsupported block';

type Obj = Record<string, unknown>;

export function esc(s: unknown): string {
  return String(s ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function unsupported(kind: string, type: unknown): string {
  return `<div class="bk-unsupported">${UNSUPPORTED}: ${esc(kind)} ${esc(type)}</div>`;
}

/** A user/channel name lookup for mentions; the page passes its directory. */
export interface Names {
  user?: (id: string) => string | undefined;
  channel?: (id: string) => string | undefined;
}

/** Slack's `<…>` escapes: links, user and channel mentions, special mentions. */
function angle(inner: string, names: Names): string {
  const [target = '', label] = inner.split('|', 2);
  if (target.startsWith('@')) {
    const id = target.slice(1);
    return `<span class="bk-mention">@${esc(label ?? names.user?.(id) ?? id)}</span>`;
  }
  if (target.startsWith('#')) {
    const id = target.slice(1);
    return `<span class="bk-mention">#${esc(label ?? names.channel?.(id) ?? id)}</span>`;
  }
  // <!date^SECONDS^{format}|fallback>: shown in the reader's time zone by Slack; here the fallback (UTC).
  if (target.startsWith('!date^')) return `<time class="bk-date">${esc(label ?? target)}</time>`;
  if (target.startsWith('!')) return `<span class="bk-mention">@${esc(label ?? target.slice(1))}</span>`;
  if (/^(https?:|mailto:)/.test(target))
    return `<a href="${esc(target)}" target="_blank" rel="noopener noreferrer">${esc(label ?? target)}</a>`;
  return esc(`<${inner}>`);
}

/**
 * Inline mrkdwn: `code` and <links> first (nothing inside them is formatted), then *bold*, _italic_, ~strike~,
 * which may span code (`*Container `app` was OOMKilled*`).
 */
function inline(text: string, names: Names): string {
  // Slack sends &amp; &lt; &gt; escaped in mrkdwn: undo them first, escape once on the way out.
  const src = text.replaceAll('&lt;', '\uE001').replaceAll('&gt;', '\uE002').replaceAll('&amp;', '&');
  const unslack = (x: string) => x.replaceAll('\uE001', '<').replaceAll('\uE002', '>');
  const held: string[] = [];
  const hold = (html: string) => `\uE003${held.push(html) - 1}\uE004`;
  let h = src.replace(/`([^`\n]+)`|<([^<>\n]+)>/g, (_m, code: string | undefined, link: string | undefined) =>
    hold(code !== undefined ? `<code>${esc(unslack(code))}</code>` : angle(link!, names)),
  );
  h = esc(unslack(h));
  const edge = '(^|[\\s(\\uE004])';
  const after = '(?=$|[\\s).,:;!?\\uE003])';
  h = h.replace(new RegExp(`${edge}\\*(?!\\s)([^*\\n]+?)\\*${after}`, 'g'), '$1<b>$2</b>');
  h = h.replace(new RegExp(`${edge}_(?!\\s)([^_\\n]+?)_${after}`, 'g'), '$1<i>$2</i>');
  h = h.replace(new RegExp(`${edge}~(?!\\s)([^~\\n]+?)~${after}`, 'g'), '$1<s>$2</s>');
  return h.replace(/\uE003(\d+)\uE004/g, (_m, i: string) => held[Number(i)]!);
}

/** mrkdwn text → HTML: ``` blocks, > quotes, then inline formatting; newlines kept. */
export function mrkdwn(text: string, names: Names = {}): string {
  const out: string[] = [];
  const chunks = String(text).split(/```/);
  chunks.forEach((chunk, i) => {
    if (i % 2 === 1) {
      const pre = chunk
        .replace(/^\n/, '')
        .replaceAll('&lt;', '<')
        .replaceAll('&gt;', '>')
        .replaceAll('&amp;', '&');
      out.push(`<pre class="bk-pre">${esc(pre)}</pre>`);
      return;
    }
    const lines = chunk.split('\n').map((line) => {
      const q = /^(&gt;|>)\s?(.*)$/.exec(line);
      return q ? `<span class="bk-quote">${inline(q[2]!, names)}</span>` : inline(line, names);
    });
    out.push(lines.join('<br>'));
  });
  return out.join('');
}

/** A text object (plain_text or mrkdwn). */
export function textObject(t: unknown, names: Names = {}): string {
  if (!isObj(t)) return '';
  if (t.type === 'mrkdwn') return mrkdwn(String(t.text ?? ''), names);
  return esc(t.text).replaceAll('\n', '<br>');
}

/** data-* attributes the page reads when a button is clicked. */
function actionAttrs(el: Obj, blockId: unknown): string {
  return [
    `data-action-id="${esc(el.action_id)}"`,
    `data-block-id="${esc(blockId)}"`,
    el.value !== undefined ? `data-value="${esc(el.value)}"` : '',
    el.url !== undefined ? `data-url="${esc(el.url)}"` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

function confirmAttr(el: Obj): string {
  const c = el.confirm;
  if (!isObj(c)) return '';
  const plain = (t: unknown) => (isObj(t) ? String(t.text ?? '') : '');
  return ` data-confirm="${esc(`${plain(c.title)}\n\n${plain(c.text)}`)}"`;
}

/** An interactive or display element (accessory, actions element, context element, input element). */
function element(el: unknown, blockId: unknown, names: Names): string {
  if (!isObj(el)) return unsupported('element', typeof el);
  switch (el.type) {
    case 'button': {
      const style = el.style === 'primary' || el.style === 'danger' ? ` bk-btn-${el.style}` : '';
      return `<button type="button" class="bk-btn${style}" ${actionAttrs(el, blockId)}${confirmAttr(el)}>${textObject(el.text, names)}</button>`;
    }
    case 'image':
      return `<img class="bk-ctx-img" src="${esc(el.image_url)}" alt="${esc(el.alt_text)}">`;
    case 'mrkdwn':
    case 'plain_text':
      return `<span class="bk-ctx-text">${textObject(el, names)}</span>`;
    case 'overflow':
    case 'static_select': {
      const opts = Array.isArray(el.options) ? el.options : [];
      const options = opts
        .map((o) => (isObj(o) ? `<option value="${esc(o.value)}">${textObject(o.text, names)}</option>` : ''))
        .join('');
      return `<select class="bk-select" ${actionAttrs(el, blockId)}>${options}</select>`;
    }
    case 'plain_text_input': {
      const ph = isObj(el.placeholder) ? esc(el.placeholder.text) : '';
      const common = `name="${esc(blockId)}" data-block-id="${esc(blockId)}" data-action-id="${esc(el.action_id)}" data-type="plain_text_input" placeholder="${ph}"`;
      const min = typeof el.min_length === 'number' ? ` minlength="${el.min_length}"` : '';
      const max = typeof el.max_length === 'number' ? ` maxlength="${el.max_length}"` : '';
      const init = el.initial_value !== undefined ? esc(el.initial_value) : '';
      return el.multiline
        ? `<textarea class="bk-input" ${common}${min}${max}>${init}</textarea>`
        : `<input class="bk-input" type="text" ${common}${min}${max} value="${init}">`;
    }
    default:
      return unsupported('element', el.type);
  }
}

function richElements(elements: unknown, names: Names): string {
  if (!Array.isArray(elements)) return '';
  return elements
    .map((e) => {
      if (!isObj(e)) return '';
      const st = isObj(e.style) ? e.style : {};
      let h: string;
      switch (e.type) {
        case 'text':
          h = esc(e.text).replaceAll('\n', '<br>');
          break;
        case 'link':
          h = `<a href="${esc(e.url)}" target="_blank" rel="noopener noreferrer">${esc(e.text ?? e.url)}</a>`;
          break;
        case 'user':
          h = `<span class="bk-mention">@${esc(names.user?.(String(e.user_id)) ?? e.user_id)}</span>`;
          break;
        case 'channel':
          h = `<span class="bk-mention">#${esc(names.channel?.(String(e.channel_id)) ?? e.channel_id)}</span>`;
          break;
        case 'usergroup':
          h = `<span class="bk-mention">@${esc(e.usergroup_id)}</span>`;
          break;
        case 'broadcast':
          h = `<span class="bk-mention">@${esc(e.range)}</span>`;
          break;
        case 'emoji':
          h = e.unicode
            ? String.fromCodePoint(
                ...String(e.unicode)
                  .split('-')
                  .map((x) => Number.parseInt(x, 16)),
              )
            : `:${esc(e.name)}:`;
          break;
        case 'date':
          h = esc(e.fallback ?? e.timestamp);
          break;
        default:
          return unsupported('rich text element', e.type);
      }
      if (st.code) h = `<code>${h}</code>`;
      if (st.bold) h = `<b>${h}</b>`;
      if (st.italic) h = `<i>${h}</i>`;
      if (st.strike) h = `<s>${h}</s>`;
      return h;
    })
    .join('');
}

function richText(b: Obj, names: Names): string {
  const els = Array.isArray(b.elements) ? b.elements : [];
  return els
    .map((e) => {
      if (!isObj(e)) return '';
      switch (e.type) {
        case 'rich_text_section':
          return `<div class="bk-rt-section">${richElements(e.elements, names)}</div>`;
        case 'rich_text_preformatted':
          return `<pre class="bk-pre">${richElements(e.elements, names)}</pre>`;
        case 'rich_text_quote':
          return `<blockquote class="bk-quote">${richElements(e.elements, names)}</blockquote>`;
        case 'rich_text_list': {
          const tag = e.style === 'ordered' ? 'ol' : 'ul';
          const items = (Array.isArray(e.elements) ? e.elements : [])
            .map((s) => `<li>${isObj(s) ? richElements(s.elements, names) : ''}</li>`)
            .join('');
          return `<${tag} class="bk-rt-list" style="margin-left:${Number(e.indent ?? 0) * 16}px">${items}</${tag}>`;
        }
        default:
          return unsupported('rich text', e.type);
      }
    })
    .join('');
}

/** One block. */
export function block(b: unknown, names: Names = {}): string {
  if (!isObj(b)) return unsupported('block', typeof b);
  const id = b.block_id;
  switch (b.type) {
    case 'header':
      return `<div class="bk-header">${textObject(b.text, names)}</div>`;
    case 'divider':
      return '<hr class="bk-divider">';
    case 'section': {
      const text = b.text ? `<div class="bk-section-text">${textObject(b.text, names)}</div>` : '';
      const fields = Array.isArray(b.fields)
        ? `<div class="bk-fields">${b.fields.map((f) => `<div class="bk-field">${textObject(f, names)}</div>`).join('')}</div>`
        : '';
      const acc = b.accessory ? `<div class="bk-accessory">${element(b.accessory, id, names)}</div>` : '';
      return `<div class="bk-section"><div class="bk-section-main">${text}${fields}</div>${acc}</div>`;
    }
    case 'context': {
      const els = Array.isArray(b.elements) ? b.elements : [];
      return `<div class="bk-context">${els.map((e) => element(e, id, names)).join('')}</div>`;
    }
    case 'actions': {
      const els = Array.isArray(b.elements) ? b.elements : [];
      return `<div class="bk-actions">${els.map((e) => element(e, id, names)).join('')}</div>`;
    }
    case 'image': {
      const title = b.title ? `<div class="bk-image-title">${textObject(b.title, names)}</div>` : '';
      return `<figure class="bk-image">${title}<img src="${esc(b.image_url)}" alt="${esc(b.alt_text)}"></figure>`;
    }
    case 'rich_text':
      return `<div class="bk-rich-text">${richText(b, names)}</div>`;
    case 'input': {
      const hint = b.hint ? `<div class="bk-hint">${textObject(b.hint, names)}</div>` : '';
      const optional = b.optional ? ' <span class="bk-optional">(optional)</span>' : '';
      return `<label class="bk-input-block" data-block-id="${esc(id)}"><div class="bk-label">${textObject(b.label, names)}${optional}</div>${element(b.element, id, names)}${hint}<div class="bk-error" data-error-for="${esc(id)}"></div></label>`;
    }
    default:
      return unsupported('block', b.type);
  }
}

/** A list of blocks; with no blocks, the message's text (as Slack shows it). */
export function blocks(list: unknown, fallbackText = '', names: Names = {}): string {
  if (!Array.isArray(list) || list.length === 0)
    return `<div class="bk-text">${mrkdwn(fallbackText, names)}</div>`;
  return list.map((b) => block(b, names)).join('');
}

/** A modal view: title, blocks, submit and close buttons. */
export function modal(view: unknown, names: Names = {}): string {
  if (!isObj(view)) return unsupported('view', typeof view);
  if (view.type !== 'modal') return unsupported('view', view.type);
  const submit = view.submit
    ? `<button type="submit" class="bk-btn bk-btn-primary">${textObject(view.submit)}</button>`
    : '';
  const close = `<button type="button" class="bk-btn" data-modal-close>${view.close ? textObject(view.close) : 'Cancel'}</button>`;
  return `<form class="bk-modal" data-callback-id="${esc(view.callback_id)}"><div class="bk-modal-title">${textObject(view.title)}</div><div class="bk-modal-body">${blocks(view.blocks, '', names)}</div><div class="bk-modal-buttons">${close}${submit}</div></form>`;
}
