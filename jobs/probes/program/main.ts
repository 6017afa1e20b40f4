/** Entry of the probe program: `node dist/jobs/probes/program/main.js --input <base64url JSON>`. */
import { main } from './run-probe.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`probe program crashed: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
