import express, { type Router } from "express";
import type { Context } from "../../common/context.js";
import { countAppliedMigrations } from "../../store/api-repository.js";
import { listMigrations } from "../../store/migrate.js";

export interface Readiness {
  ok: boolean;
  /** Shown in the /readyz body, e.g. { ingest: { tron: "12 s behind" } }. */
  details?: Record<string, unknown>;
}

/** /healthz, /readyz and /metrics: for load balancers and Prometheus, without an API key. */
export function operationsRouter(ctx: Pick<Context, "db" | "metrics">, readiness?: () => Promise<Readiness>): Router {
  const router = express.Router();
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (_req, res) => {
    const names = listMigrations().map((m) => m.name);
    const checks: Record<string, unknown> = {};
    let ok = true;
    try {
      const applied = await countAppliedMigrations(ctx.db, names);
      checks.database = "ok";
      checks.migrations = applied === names.length ? "ok" : `${names.length - applied} not applied`;
      ok = applied === names.length;
    } catch (error) {
      ok = false;
      checks.database = `unreachable: ${(error as Error).message}`;
    }
    if (readiness) {
      try {
        const extra = await readiness();
        ok &&= extra.ok;
        Object.assign(checks, extra.details ?? {});
      } catch (error) {
        ok = false;
        checks.readiness = `failed: ${(error as Error).message}`;
      }
    }
    res.status(ok ? 200 : 503).json({ status: ok ? "ready" : "not_ready", checks });
  });
  router.get("/metrics", async (_req, res) => {
    res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
  return router;
}
