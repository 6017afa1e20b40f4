#!/usr/bin/env node
// `npx poddebug`: the compiled CLI (dist/ is built by `npm ci` through the prepare script).
import { main } from '../dist/jobs/cli.js';

process.exitCode = await main(process.argv);
