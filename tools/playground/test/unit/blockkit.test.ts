import { describe, expect, it } from '@jest/globals';
import { block, blocks, modal, mrkdwn, UNSUPPORTED } from '../../page/blockkit.js';

const names = { user: (id: string) => (id === 'U1' ? 'riya' : undefined), channel: () => 'inc-2031' };

describe('Block Kit → HTML', () => {
  it('header, section with fields and a button accessory, context, divider', () => {
    const html = blocks([
      { type: 'header', text: { type: 'plain_text', text: 'Approval needed' } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: '*Cluster:* `prod`' },
        fields: [
          { type: 'mrkdwn', text: '*Pod:* `a`' },
          { type: 'plain_text', text: 'Node: n1' },
        ],
        accessory: {
          type: 'button',
          action_id: 'open',
          text: { type: 'plain_text', text: 'Open' },
          value: 'v1',
        },
      },
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: 'job `j1`' },
          { type: 'image', image_url: 'http://x/i.png', alt_text: 'icon' },
        ],
      },
      { type: 'divider' },
    ]);
    expect(html).toContain('<div class="bk-header">Approval needed</div>');
    expect(html).toContain('<b>Cluster:</b> <code>prod</code>');
    expect(html).toContain('<div class="bk-field"><b>Pod:</b> <code>a</code></div>');
    expect(html).toContain('<div class="bk-field">Node: n1</div>');
    expect(html).toMatch(/<div class="bk-accessory"><button [^>]*data-action-id="open"[^>]*data-value="v1"/);
    expect(html).toContain(
      '<div class="bk-context"><span class="bk-ctx-text">job <code>j1</code></span><img class="bk-ctx-img"',
    );
    expect(html).toContain('<hr class="bk-divider">');
    expect(html).not.toContain(UNSUPPORTED);
  });

  it('actions keep button styles and the block id; confirm dialogs are carried', () => {
    const html = block({
      type: 'actions',
      block_id: 'b1',
      elements: [
        {
          type: 'button',
          action_id: 'ok',
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
          value: 'r1',
        },
        {
          type: 'button',
          action_id: 'no',
          style: 'danger',
          text: { type: 'plain_text', text: 'Deny' },
          confirm: {
            title: { type: 'plain_text', text: 'Sure?' },
            text: { type: 'plain_text', text: 'Really' },
          },
        },
        { type: 'button', action_id: 'c', text: { type: 'plain_text', text: 'Cancel' } },
      ],
    });
    expect(html).toMatch(
      /class="bk-btn bk-btn-primary" data-action-id="ok" data-block-id="b1" data-value="r1"/,
    );
    expect(html).toMatch(
      /class="bk-btn bk-btn-danger" data-action-id="no"[^>]*data-confirm="Sure\?\n\nReally"/,
    );
    expect(html).toMatch(/class="bk-btn" data-action-id="c"/);
  });

  it('images and rich text', () => {
    const html = blocks(
      [
        {
          type: 'image',
          image_url: 'https://example.com/c.png',
          alt_text: 'chart',
          title: { type: 'plain_text', text: 'RSS' },
        },
        {
          type: 'rich_text',
          elements: [
            {
              type: 'rich_text_section',
              elements: [
                { type: 'text', text: 'hi ', style: { bold: true } },
                { type: 'user', user_id: 'U1' },
              ],
            },
            {
              type: 'rich_text_list',
              style: 'ordered',
              elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: 'one' }] }],
            },
            { type: 'rich_text_preformatted', elements: [{ type: 'text', text: 'a < b' }] },
            { type: 'rich_text_quote', elements: [{ type: 'link', url: 'https://x.y', text: 'x' }] },
          ],
        },
      ],
      '',
      names,
    );
    expect(html).toContain(
      '<figure class="bk-image"><div class="bk-image-title">RSS</div><img src="https://example.com/c.png" alt="chart"></figure>',
    );
    expect(html).toContain('<b>hi </b><span class="bk-mention">@riya</span>');
    expect(html).toContain('<ol class="bk-rt-list" style="margin-left:0px"><li>one</li></ol>');
    expect(html).toContain('<pre class="bk-pre">a &lt; b</pre>');
    expect(html).toContain('<blockquote class="bk-quote"><a href="https://x.y"');
    expect(html).not.toContain(UNSUPPORTED);
  });

  it('marks what it cannot render instead of dropping it', () => {
    expect(block({ type: 'video', title: {} })).toContain(`${UNSUPPORTED}: block video`);
    expect(block({ type: 'actions', elements: [{ type: 'datepicker' }] })).toContain(
      `${UNSUPPORTED}: element datepicker`,
    );
  });

  it('mrkdwn: bold around code, links, mentions, dates, quotes, code blocks; Slack escapes undone once', () => {
    expect(mrkdwn('🔴 *Container `app` was OOMKilled*')).toBe(
      '🔴 <b>Container <code>app</code> was OOMKilled</b>',
    );
    expect(mrkdwn('<https://e.x/a?b=1&c=2|the runbook> for <@U1> in <#C1>', names)).toBe(
      '<a href="https://e.x/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">the runbook</a> for <span class="bk-mention">@riya</span> in <span class="bk-mention">#inc-2031</span>',
    );
    expect(mrkdwn('Expires: <!date^1796574410^{date_short_pretty}|2026-12-06T16:50:34Z>')).toBe(
      'Expires: <time class="bk-date">2026-12-06T16:50:34Z</time>',
    );
    expect(mrkdwn('```\nread /proc/&lt;PID&gt;/status\n```')).toBe(
      '<pre class="bk-pre">read /proc/&lt;PID&gt;/status\n</pre>',
    );
    expect(mrkdwn('&gt; quoted _it_\nsnake_case_name stays')).toBe(
      '<span class="bk-quote">quoted <i>it</i></span><br>snake_case_name stays',
    );
  });

  it('escapes everything the bot (or a pod name, or a log line) could put in a message', () => {
    const evil = '<img src=x onerror=alert(1)>"\'';
    const html = blocks([
      { type: 'section', text: { type: 'plain_text', text: evil } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `\`${evil}\` ${evil.replaceAll('<', '&lt;').replaceAll('>', '&gt;')}` },
      },
      {
        type: 'actions',
        elements: [
          { type: 'button', action_id: '"><script>', value: evil, text: { type: 'plain_text', text: evil } },
        ],
      },
    ]);
    expect(html).not.toMatch(/<img src=x|<script>/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;');
  });

  it('a modal: title, input with its label and limits, submit and close', () => {
    const html = modal({
      type: 'modal',
      callback_id: 'poddebug_probe_reason',
      title: { type: 'plain_text', text: 'Privileged probe' },
      submit: { type: 'plain_text', text: 'Request approval' },
      close: { type: 'plain_text', text: 'Cancel' },
      blocks: [
        {
          type: 'input',
          block_id: 'reason',
          label: { type: 'plain_text', text: 'Why?' },
          element: {
            type: 'plain_text_input',
            action_id: 'reason',
            multiline: true,
            min_length: 10,
            max_length: 1000,
          },
        },
      ],
    });
    expect(html).toContain('data-callback-id="poddebug_probe_reason"');
    expect(html).toContain('<div class="bk-modal-title">Privileged probe</div>');
    expect(html).toMatch(
      /<textarea class="bk-input" name="reason" data-block-id="reason" data-action-id="reason"[^>]* minlength="10" maxlength="1000">/,
    );
    expect(html).toContain('<button type="submit" class="bk-btn bk-btn-primary">Request approval</button>');
    expect(html).toContain('data-modal-close>Cancel</button>');
  });
});
