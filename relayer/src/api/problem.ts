import type { Request, Response } from "express";

/** RFC 9457 problem details: every error the API answers with. */

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export interface FieldError {
  /** Dotted path of the offending field, e.g. `metadata.color` or `query.limit`. */
  path: string;
  message: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  errors?: FieldError[];
  /** What the client can change before retrying (from the error's hints). */
  hints?: string[];
}

const TITLES: Record<number, [slug: string, title: string]> = {
  400: ["bad-request", "Bad request"],
  401: ["unauthorized", "Missing or invalid API key"],
  404: ["not-found", "Not found"],
  405: ["method-not-allowed", "Method not allowed"],
  409: ["conflict", "Conflict"],
  413: ["payload-too-large", "Request body too large"],
  415: ["unsupported-media-type", "Unsupported media type"],
  422: ["unprocessable", "Unprocessable request"],
  429: ["rate-limited", "Too many requests"],
  500: ["internal", "Internal server error"],
  503: ["unavailable", "Service unavailable"],
};

/** An error a route throws to answer with a specific problem. */
export class Problem extends Error {
  override name = "Problem";
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly options: { slug?: string; title?: string; errors?: FieldError[]; hints?: string[] } = {},
  ) {
    super(detail);
  }
}

export function problemBody(req: Request, status: number, detail: string, options: Problem["options"] = {}): ProblemBody {
  const [slug, title] = TITLES[status] ?? (status >= 500 ? TITLES[500]! : TITLES[400]!);
  return {
    type: `urn:relayer:problem:${options.slug ?? slug}`,
    title: options.title ?? title,
    status,
    detail,
    instance: req.originalUrl.split("?")[0]!.slice(0, 512),
    ...(options.errors ? { errors: options.errors } : {}),
    ...(options.hints?.length ? { hints: options.hints } : {}),
  };
}

export function sendProblem(req: Request, res: Response, status: number, detail: string, options: Problem["options"] = {}): void {
  res.status(status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problemBody(req, status, detail, options)));
}
