/**
 * The relayer's error classes. Decide on retries by class, never by message: a RetryableError is
 * worth trying again later (an RPC timeout, a lost connection); a NonRetryableUserError needs a person
 * to change something (bad config, bad input) and says what in `hints`.
 */
export class BaseError extends Error {
  override name = "BaseError";
  /** What the user can do about it, one sentence each. */
  readonly hints: string[];

  constructor(message: string, options: { cause?: unknown; hints?: string[] } = {}) {
    super(message, { cause: options.cause });
    this.hints = options.hints ?? [];
  }
}

export class RetryableError extends BaseError {
  override name = "RetryableError";
}

export class NonRetryableUserError extends BaseError {
  override name = "NonRetryableUserError";
}

/** A JSON-RPC provider refused a log range as too large; the poller shrinks the range. */
export class RangeTooLargeError extends RetryableError {
  override name = "RangeTooLargeError";
}

/** The chain reorganised deeper than the blocks the relayer keeps; it cannot reconcile on its own. */
export class ReorgTooDeepError extends NonRetryableUserError {
  override name = "ReorgTooDeepError";
}

/** Configuration is missing or wrong; the message names the field. */
export class ConfigError extends NonRetryableUserError {
  override name = "ConfigError";
}

export function isRetryable(error: unknown): boolean {
  return error instanceof RetryableError;
}
