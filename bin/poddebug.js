#!/usr/bin/env node
// Entry for `npx poddebug`: the compiled CLI (built by `npm ci` through the prepare script).
import '../dist/jobs/cli.js';
