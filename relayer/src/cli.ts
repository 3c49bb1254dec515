#!/usr/bin/env node

/** Entry point of `relayer` (`npm run relayer -- <command>`): see `relayer --help`. */

/** Commands that run until stopped; a stop signal must end them cleanly even while they start up. */
const SERVICES = new Set(["start", "dev"]);

/**
 * Resolves on the first SIGINT/SIGTERM; a second one while stopping means "now": exit without
 * waiting for work in progress. Listening starts at once, so a signal that arrives while the relayer
 * is still starting (migrations, chain ids) is kept and honoured as soon as it is up.
 */
function listenForStop(): Promise<string> {
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

const args = process.argv.slice(2);
const stopRequested = SERVICES.has(args[0] ?? "") ? listenForStop() : undefined;
// Loaded after the listeners are in place: loading the relayer takes seconds, and a stop signal in
// that window would otherwise kill the process outright instead of stopping it cleanly.
const { runCli } = await import("./cli/program.js");
const { processIo } = await import("./cli/io.js");
const code = await runCli(args, processIo(), { untilStopped: () => stopRequested ?? listenForStop() });
// Idle keep-alive sockets and timers left by libraries must not hold a finished command open.
process.exit(code);
