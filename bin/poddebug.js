#!/usr/bin/env node
// `poddebug` (in the checkout: `npm exec --no -- poddebug`; README "The CLI"): the bundled CLI (dist/ is built
// by `npm ci` through the prepare script). The module compile cache goes on first, so that the bundle loaded
// next is read from it (Node 22.1+; a no-op where it cannot).
// `poddebug audit …` reads the bot's audit stream, so it lives in bot/ (jobs/ never imports bot/).
import * as nodeModule from 'node:module';

nodeModule.enableCompileCache?.();
if (process.argv[2] === 'audit') {
  const { auditMain } = await import('../dist/bot/audit/cli.js');
  process.exitCode = await auditMain(process.argv);
} else {
  const { main } = await import('../dist/bundle/cli.js');
  process.exitCode = await main(process.argv);
}
