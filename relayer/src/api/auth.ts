import type { NextFunction, Request, Response } from "express";
import type { Merchants } from "../merchants/index.js";
import { sendProblem } from "./problem.js";

/** Who is calling: set on `res.locals.auth` by `requireApiKey`. */
export interface AuthContext {
  merchantId: string;
  keyId: string;
}

/** Bearer tokens longer than any key we issue are refused before touching the database. */
const MAX_AUTHORIZATION_LENGTH = 200;

export function authOf(res: Response): AuthContext {
  const auth = res.locals.auth as AuthContext | undefined;
  if (!auth) throw new Error("route mounted without requireApiKey");
  return auth;
}

/** `Authorization: Bearer sk_live_…`: unknown, malformed and revoked keys all get the same 401. */
export function requireApiKey(merchants: Merchants) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const header = req.get("authorization");
    if (!header) {
      res.set("WWW-Authenticate", 'Bearer realm="relayer"');
      return sendProblem(req, res, 401, "Send your API key as `Authorization: Bearer sk_live_…`.");
    }
    const match = header.length <= MAX_AUTHORIZATION_LENGTH ? /^Bearer ([^\s]+)$/i.exec(header) : null;
    const found = match ? await merchants.authenticate(match[1]!) : null;
    if (!found) {
      res.set("WWW-Authenticate", 'Bearer realm="relayer", error="invalid_token"');
      return sendProblem(req, res, 401, "The API key is malformed, unknown or revoked.");
    }
    res.locals.auth = { merchantId: found.merchantId, keyId: found.keyId } satisfies AuthContext;
    next();
  };
}
