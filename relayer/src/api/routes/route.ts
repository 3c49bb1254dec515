import type { NextFunction, Request, Response, Router } from "express";
import type { Logger } from "../../common/logger.js";
import { z } from "zod";
import { NonRetryableUserError } from "../../common/errors.js";
import { InvalidInputError, NotFoundError, SigningUnavailableError } from "../../merchants/index.js";
import { SealedKeyError } from "../../merchants/keys.js";
import type { Db } from "../../store/db.js";
import { SsrfRefusedError, WebhookNotFoundError } from "../../webhooks/index.js";
import { authOf } from "../auth.js";
import { IDEMPOTENCY_HEADER, idempotent, type RouteResult } from "../idempotency.js";
import { Problem, problemBody, PROBLEM_CONTENT_TYPE, sendProblem, type FieldError } from "../problem.js";

/**
 * One route, declared once: its zod schemas validate the request here and describe it in the
 * OpenAPI document (openapi.ts reads the same objects).
 */
export interface RouteSpec<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: "get" | "post";
  /** OpenAPI style: `/v1/invoices/{id}`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Status code to the response schema (null: no body). */
  responses: Record<number, { description: string; schema: z.ZodType | null }>;
  handler(input: { params: z.output<P>; query: z.output<Q>; body: z.output<B>; merchantId: string }): Promise<RouteResult>;
}

/** Keeps each spec's generic types while collecting them into one array. */
export const defineRoute = <P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(spec: RouteSpec<P, Q, B>): RouteSpec => spec as unknown as RouteSpec;

const issuesToErrors = (error: z.ZodError, where: string): FieldError[] =>
  error.issues.map((issue) => ({ path: [where, ...issue.path.map(String)].join("."), message: issue.message }));

function validate<T extends z.ZodType>(schema: T | undefined, value: unknown, where: string): z.output<T> {
  if (!schema) return undefined as z.output<T>;
  const result = schema.safeParse(value);
  if (!result.success) throw new Problem(400, `The request ${where} is invalid; see errors.`, { slug: "validation-error", errors: issuesToErrors(result.error, where) });
  return result.data;
}

/** Known errors to problems; undefined for bugs and outages (the caller answers 500). */
export function toProblem(error: unknown): Problem | undefined {
  if (error instanceof Problem) return error;
  if (error instanceof InvalidInputError) return new Problem(400, error.message, { slug: "validation-error", errors: error.errors });
  if (error instanceof NotFoundError || error instanceof WebhookNotFoundError) return new Problem(404, error.message);
  if (error instanceof SsrfRefusedError) return new Problem(422, error.message, { slug: "url-refused" });
  if (error instanceof SigningUnavailableError || error instanceof SealedKeyError) return new Problem(503, error.message, { slug: "signing-unavailable" });
  if (error instanceof NonRetryableUserError) return new Problem(409, error.message);
  return undefined;
}

const asResult = (req: Request, problem: Problem): RouteResult => ({ status: problem.status, body: problemBody(req, problem.status, problem.detail, problem.options) });

function send(res: Response, result: RouteResult): void {
  if (result.status >= 400) res.status(result.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(result.body));
  else if (result.body === null) res.status(result.status).end();
  else res.status(result.status).json(result.body);
}

export function expressPath(openApiPath: string): string {
  return openApiPath.replace(/^\/v1/, "").replace(/\{(\w+)\}/g, ":$1");
}

export function mountRoutes(router: Router, db: Db, specs: RouteSpec[]): void {
  for (const spec of specs) {
    router[spec.method](expressPath(spec.path), async (req: Request, res: Response) => {
      const { merchantId } = authOf(res);
      const params = validate(spec.params, req.params, "params");
      const query = validate(spec.query, req.query, "query");
      const body = spec.method === "post" ? validate(spec.body ?? z.strictObject({}), req.body ?? {}, "body") : undefined;
      const run = async (): Promise<RouteResult> => {
        try {
          return await spec.handler({ params, query, body, merchantId });
        } catch (error) {
          const problem = toProblem(error);
          // Server-side failures (5xx) are thrown, never stored under an idempotency key.
          if (!problem || problem.status >= 500) throw problem ?? error;
          return asResult(req, problem);
        }
      };
      if (spec.method !== "post") return send(res, await run());
      const key = req.get(IDEMPOTENCY_HEADER);
      const result = await idempotent(db, { merchantId, key, method: req.method, path: req.baseUrl + req.path, body: req.body ?? {} }, run);
      if (result.replayed) res.set("Idempotent-Replayed", "true");
      send(res, result);
    });
  }
}

/** The last middleware: body-parser errors, known errors and bugs, all as problem+json. */
export function problemErrorHandler(logger: Logger, maxBodyBytes: number) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const { status, type } = error as { status?: number; type?: string };
    if (type === "entity.too.large") return sendProblem(req, res, 413, `Request bodies are limited to ${maxBodyBytes} bytes.`);
    if (type === "entity.parse.failed") return sendProblem(req, res, 400, "The request body is not valid JSON.", { slug: "invalid-json" });
    if (type === "encoding.unsupported" || type === "charset.unsupported") return sendProblem(req, res, 415, "Send request bodies as UTF-8 application/json.");
    const problem = toProblem(error);
    if (problem) return sendProblem(req, res, problem.status, problem.detail, problem.options);
    // Other client errors raised by express itself (a path that does not decode, an aborted body).
    if (typeof status === "number" && status >= 400 && status < 500) return sendProblem(req, res, status, (error as Error).message);
    logger.error({ err: error, method: req.method, path: req.path }, "API request failed");
    sendProblem(req, res, 500, "Something went wrong on our side; retry later. The error is in the relayer's log.");
  };
}
