import type { Db } from "../store/db.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";

/**
 * The one explicit context every long-lived part receives: no globals. `signal` aborts when the
 * process shuts down; loops check it between units of work and finish the unit they are in.
 */
export interface Context {
  db: Db;
  logger: Logger;
  metrics: Metrics;
  signal: AbortSignal;
}
