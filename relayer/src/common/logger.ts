import { pino, type Logger } from "pino";

export type { Logger };

/** Field names whose values never reach a log line, wherever they appear. */
const REDACTED_PATHS = [
  "*.privateKey",
  "*.operatorKey",
  "*.secret",
  "*.apiKey",
  "*.password",
  "*.masterKey",
  "*.databaseUrl",
  "*.authorization",
  "req.headers.authorization",
  "headers.authorization",
];

/**
 * Structured JSON logs (pino): a sentence-case `msg` plus snake_case fields, e.g.
 * `logger.info({ chain: "tron", from_block: 10, to_block: 20 }, "Fetched logs")`.
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? "relayer",
    level: options.level ?? process.env.LOG_LEVEL ?? "info",
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** A logger that discards everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
