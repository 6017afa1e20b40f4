#!/usr/bin/env node
// `poddebug` (in the checkout: `npm exec --no -- poddebug`; README "The CLI"): the compiled CLI (dist/ is
// built by `npm ci` through the prepare script).
// `poddebug audit …` reads the bot's audit stream, so it lives in bot/ (jobs/ never imports bot/).
if (process.argv[2] === 'audit') {
  const { auditMain } = await import('../dist/bot/audit/cli.js');
  process.exitCode = await auditMain(process.argv);
} else {
  const { main } = await import('../dist/jobs/cli/main.js');
  process.exitCode = await main(process.argv);
}
