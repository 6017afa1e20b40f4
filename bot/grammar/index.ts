/**
 * The `/poddebug` command grammar, as listeners use it: `parseCommand` (text in, typed command or one error
 * out) and `helpText`. The parts live beside this file: command.ts (the top level), probes.ts (privileged
 * actions), debug.ts, reads.ts, job-control.ts, target.ts (the target word and `-n`/`-c`/`--cluster`, shared by
 * every verb that takes a target), options.ts, duration.ts, host-port.ts, pcap-filter.ts, common.ts.
 */
export {
  type Command,
  type GrammarContext,
  type HelpTopic,
  helpText,
  MAX_COMMAND_LENGTH,
  type ParseResult,
  parseCommand,
} from './command.js';
