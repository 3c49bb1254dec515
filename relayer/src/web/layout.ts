import type { NextFunction, Request, Response } from "express";
import { html, type SafeHtml } from "./html.js";

/** The page shell and the headers every web response carries. */

/** Served from /assets/ by the relayer itself; nothing is loaded from anywhere else. */
export const ASSETS_PATH = "/assets";

/**
 * Everything from our own origin, nothing inline (the JSON data islands are not executed), no
 * frames, forms only to ourselves. img-src allows data: for nothing we use today but the browser's
 * own favicon probing stays quiet with 'self'.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.set({
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    // Not no-referrer: under it Chromium sends `Origin: null` on form posts, which the CSRF check refuses.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
  });
  next();
}

export interface PageOptions {
  lang: "en" | "zh";
  title: string;
  body: SafeHtml;
  /** ES modules under /assets/, e.g. "checkout.js". */
  scripts?: string[];
  /** Shown above the main content (the dashboard's navigation). */
  header?: SafeHtml;
}

export function page(options: PageOptions): string {
  const htmlLang = options.lang === "zh" ? "zh-CN" : "en";
  return `<!doctype html>\n${html`<html lang="${htmlLang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${options.title}</title>
<link rel="icon" href="${ASSETS_PATH}/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${ASSETS_PATH}/style.css">
${(options.scripts ?? []).map((src) => html`<script type="module" src="${ASSETS_PATH}/${src}"></script>`)}
</head>
<body>
${options.header ?? ""}
<main id="main">
${options.body}
</main>
</body>
</html>`}`;
}

export function sendPage(res: Response, status: number, body: string): void {
  res.status(status).type("html").set("Cache-Control", "no-store").send(body);
}
