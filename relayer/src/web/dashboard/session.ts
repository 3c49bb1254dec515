import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import type { Db } from "../../store/db.js";
import { deleteWebSession, insertWebSession, selectWebSession, type WebSessionRow } from "../../store/web-repository.js";

/**
 * Dashboard sessions: the merchant signs in with an API key once and gets a cookie (HttpOnly,
 * SameSite=Strict, Secure unless the relayer is served on loopback, scoped to /dashboard). Every
 * state-changing request must also carry the session's CSRF token (hidden form field or
 * X-CSRF-Token header) and, when the browser sends one, an Origin equal to our own.
 */

export const SESSION_COOKIE = "relayer_session";
/** A session lasts a working day; signing in again is cheap. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const COOKIE_PATH = "/dashboard";

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.get("cookie") ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}

/** True when the public URL is loopback: there plain http is normal and Secure cookies would not stick. */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

export interface Sessions {
  open(res: Response, input: { merchantId: string; apiKeyId: string }): Promise<void>;
  close(req: Request, res: Response): Promise<void>;
  /** Middleware: a signed-in merchant or a redirect to the login form. */
  require(req: Request, res: Response, next: NextFunction): Promise<void>;
  /** Middleware for POSTs: the CSRF token and Origin must match. */
  checkCsrf(req: Request, res: Response, next: NextFunction): void;
}

export function sessionOf(res: Response): WebSessionRow {
  const session = res.locals.session as WebSessionRow | undefined;
  if (!session) throw new Error("dashboard route mounted without a session");
  return session;
}

export function createSessions(db: Db, options: { secureCookies: boolean }): Sessions {
  const cookie = (value: string, maxAgeSeconds: number) =>
    `${SESSION_COOKIE}=${value}; Path=${COOKIE_PATH}; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${options.secureCookies ? "; Secure" : ""}`;

  return {
    async open(res, input) {
      const token = randomBytes(32).toString("base64url");
      await insertWebSession(db, { tokenHash: hashToken(token), ...input, csrfToken: randomBytes(24).toString("base64url"), expiresAt: new Date(Date.now() + SESSION_TTL_MS) });
      res.append("Set-Cookie", cookie(token, SESSION_TTL_MS / 1000));
    },
    async close(req, res) {
      const token = readCookie(req, SESSION_COOKIE);
      if (token) await deleteWebSession(db, hashToken(token));
      res.append("Set-Cookie", cookie("", 0));
    },
    async require(req, res, next) {
      const token = readCookie(req, SESSION_COOKIE);
      const session = token && /^[A-Za-z0-9_-]{43}$/.test(token) ? await selectWebSession(db, hashToken(token)) : undefined;
      if (!session) {
        if (req.method === "GET" && req.accepts(["html", "json"]) === "html") return res.redirect(303, "/dashboard/login");
        res.status(401).type("text/plain").send("Sign in again: the session expired or the API key was revoked.");
        return;
      }
      res.locals.session = session;
      next();
    },
    checkCsrf(req, res, next) {
      const session = sessionOf(res);
      const sent = String((req.body as Record<string, unknown> | undefined)?._csrf ?? req.get("x-csrf-token") ?? "");
      const ok = sent.length === session.csrfToken.length && timingSafeEqual(Buffer.from(sent), Buffer.from(session.csrfToken));
      if (!ok || !sameOrigin(req)) {
        res.status(403).type("text/plain").send("This form is stale or came from another site. Reload the page and try again.");
        return;
      }
      next();
    },
  };
}

/** Browsers send Origin on every POST; when present it must name this host. */
export function sameOrigin(req: Request): boolean {
  const origin = req.get("origin");
  if (!origin) return true;
  try {
    return new URL(origin).host === req.get("host");
  } catch {
    return false;
  }
}
