/**
 * Identifiers shared by the Web API double and the request harness, so that a slash command sent by the
 * harness and a response_url minted by the double agree on team, user and channel without extra wiring.
 * Shaped like real Slack ids (uppercase, type prefix) but obviously fake.
 */
export const SLACK_TEST_DEFAULTS = {
  teamId: 'T0TEST0001',
  teamDomain: 'poddebug-test',
  userId: 'U0TESTUSER',
  userName: 'alice',
  channelId: 'C0TESTCHAN',
  channelName: 'incidents',
  apiAppId: 'A0PODDEBUG',
  botToken: 'xoxb-test-token',
  botUserId: 'U0PODDBBOT',
  botId: 'B0PODDBBOT',
  /** The legacy verification token Slack still sends in every payload (apps must not rely on it). */
  verificationToken: 'verification-token-unused',
} as const;
