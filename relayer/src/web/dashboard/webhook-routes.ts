import type { Router } from "express";
import { NonRetryableUserError } from "../../common/errors.js";
import { renderSection, userErrors, type DashboardDeps } from "./common.js";
import { sessionOf } from "./session.js";
import { endpointBody, endpointsBody, secretBody } from "./webhooks-view.js";

/** Webhook endpoints through the same module the API uses (webhooks/endpoints.ts); no SQL here. */

/** Deliveries shown in an endpoint's log. */
const LOG_SIZE = 25;

const field = (body: unknown, name: string) => String((body as Record<string, unknown> | undefined)?.[name] ?? "").trim();

export function webhookRoutes(router: Router, deps: DashboardDeps): void {
  const { webhooks } = deps;
  const merchantOf = (res: Parameters<typeof sessionOf>[0]) => sessionOf(res).merchantId;

  router.get("/dashboard/webhooks", async (req, res) => {
    const endpoints = await webhooks.list(merchantOf(res));
    await renderSection(deps, req, res, "webhooks", "Webhooks", endpointsBody(endpoints, sessionOf(res).csrfToken));
  });

  router.post("/dashboard/webhooks", (req, res) =>
    userErrors(deps, req, res, "webhooks", async () => {
      const url = field(req.body, "url");
      if (!url) throw new NonRetryableUserError("Give the endpoint's URL");
      const description = field(req.body, "description");
      const { endpoint, secret } = await webhooks.add({ merchantId: merchantOf(res), url, ...(description ? { description } : {}) });
      await renderSection(deps, req, res, "webhooks", "Endpoint added", secretBody(endpoint.id, secret, "created"));
    }),
  );

  router.get("/dashboard/webhooks/:id", (req, res) =>
    userErrors(deps, req, res, "webhooks", async () => {
      const merchantId = merchantOf(res);
      const endpoint = await webhooks.get(merchantId, String(req.params.id));
      const rows = await webhooks.listDeliveries(merchantId, endpoint.id, { limit: LOG_SIZE });
      const deliveries = [];
      for (const row of rows) deliveries.push(await webhooks.getDelivery(merchantId, row.id));
      await renderSection(deps, req, res, "webhooks", "Endpoint", endpointBody({ endpoint, deliveries, csrf: sessionOf(res).csrfToken }));
    }),
  );

  const endpointAction = (path: string, done: string, run: (merchantId: string, id: string, body: unknown) => Promise<unknown>) =>
    router.post(`/dashboard/webhooks/:id/${path}`, (req, res) =>
      userErrors(deps, req, res, "webhooks", async () => {
        const id = String(req.params.id);
        await run(merchantOf(res), id, req.body);
        res.redirect(303, `/dashboard/webhooks/${encodeURIComponent(id)}?done=${done}`);
      }),
    );
  endpointAction("test", "test", (m, id) => webhooks.sendTest(m, id));
  endpointAction("disable", "disabled", (m, id) => webhooks.disable(m, id));
  endpointAction("enable", "enabled", (m, id) => webhooks.enable(m, id));
  endpointAction("redeliver-failed", "redelivered-failed", (m, id, body) => {
    const since = new Date(field(body, "since"));
    if (Number.isNaN(since.getTime())) throw new NonRetryableUserError("Invalid 'since' time");
    return webhooks.redeliverFailed(m, id, since);
  });

  router.post("/dashboard/webhooks/:id/rotate", (req, res) =>
    userErrors(deps, req, res, "webhooks", async () => {
      const id = String(req.params.id);
      const { secret, previousExpiresAt } = await webhooks.rotateSecret(merchantOf(res), id);
      await renderSection(deps, req, res, "webhooks", "Secret rotated", secretBody(id, secret, "rotated", previousExpiresAt));
    }),
  );

  router.post("/dashboard/deliveries/:id/redeliver", (req, res) =>
    userErrors(deps, req, res, "webhooks", async () => {
      const delivery = await webhooks.redeliver(merchantOf(res), String(req.params.id));
      res.redirect(303, `/dashboard/webhooks/${encodeURIComponent(delivery.endpointId)}?done=redelivered`);
    }),
  );
}
