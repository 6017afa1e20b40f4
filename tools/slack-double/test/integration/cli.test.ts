/** The slack-double entry point: prints where it listens and the token it takes, serves the WebClient, stops on SIGTERM. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { slackClient } from '../../index.js';

const MAIN = join(import.meta.dirname, '..', '..', 'main.ts');
const ROOT = join(import.meta.dirname, '..', '..', '..', '..');

function run(args: string[]) {
  return spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: ROOT,
  });
}

describe('slack-double CLI', () => {
  it('prints its URLs and bot token, serves the WebClient, and exits cleanly on SIGTERM', async () => {
    const child = run(['--port', '0', '--bot-token', 'xoxb-cli-token', '--channel', 'C0OPS:ops']);
    try {
      const out = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout.on('data', (d: Buffer) => {
          text += d.toString();
          if (/bot token.*\n/.test(text)) resolve(text);
        });
        child.once('exit', (code) => reject(new Error(`slack-double exited early with ${code}`)));
        setTimeout(() => reject(new Error(`no start-up lines within 20 s: ${text}`)), 20_000).unref();
      });
      const url = /^slack-double listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out)?.[1];
      expect(url).toBeDefined();
      const apiUrl = /Web API.*: (\S+)$/m.exec(out)?.[1];
      expect(apiUrl).toBe(`${url}/api/`);
      expect(out).toMatch(/bot token \(SLACK_BOT_TOKEN\): xoxb-cli-token$/m);

      const client = slackClient({ apiUrl: apiUrl! }, { token: 'xoxb-cli-token' });
      const info = await client.conversations.info({ channel: 'C0OPS' });
      expect(info.channel?.name).toBe('ops');
      const posted = await client.chat.postMessage({ channel: '#ops', text: 'hello' });
      expect(posted.channel).toBe('C0OPS');

      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);

  it('refuses a bad port or token with a short message and a non-zero exit', async () => {
    for (const args of [
      ['--port', 'http'],
      ['--bot-token', 'xoxp-user'],
    ]) {
      const child = run(args);
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      expect(code).not.toBe(0);
      expect(err).toMatch(/is invalid\. expected/);
    }
  }, 30_000);
});
