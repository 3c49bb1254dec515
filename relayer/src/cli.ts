#!/usr/bin/env node
import { runCli } from "./cli/program.js";
import { processIo } from "./cli/io.js";

/** Entry point of `relayer` (`npm run relayer -- <command>`): see `relayer --help`. */

/** A second Ctrl-C while stopping means "now": exit without waiting for work in progress. */
function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    const first = (signal: NodeJS.Signals) => {
      process.once("SIGINT", () => process.exit(130));
      process.once("SIGTERM", () => process.exit(143));
      resolve(signal);
    };
    process.once("SIGINT", first);
    process.once("SIGTERM", first);
  });
}

const code = await runCli(process.argv.slice(2), processIo(), { untilStopped });
// Idle keep-alive sockets and timers left by libraries must not hold a finished command open.
process.exit(code);
