import { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * Every Prometheus metric the relayer exports, created once per process and passed in the context.
 * Names follow Prometheus conventions: unit suffixes, `_total` for counters.
 */
export function createMetrics() {
  const registry = new Registry();
  return {
    registry,
    ingestHeadBlock: new Gauge({ name: "relayer_ingest_head_block", help: "Latest block number seen per chain", labelNames: ["chain"], registers: [registry] }),
    ingestCursorBlock: new Gauge({ name: "relayer_ingest_cursor_block", help: "Next block to ingest per chain", labelNames: ["chain"], registers: [registry] }),
    ingestLagBlocks: new Gauge({ name: "relayer_ingest_lag_blocks", help: "Blocks between the chain head and the ingestion cursor", labelNames: ["chain"], registers: [registry] }),
    ingestEvents: new Counter({ name: "relayer_ingest_events_total", help: "Vault events ingested", labelNames: ["chain", "event"], registers: [registry] }),
    ingestReorgs: new Counter({ name: "relayer_ingest_reorgs_total", help: "Reorgs reconciled", labelNames: ["chain"], registers: [registry] }),
    rpcErrors: new Counter({ name: "relayer_rpc_errors_total", help: "Failed JSON-RPC calls", labelNames: ["chain", "method"], registers: [registry] }),
    deliveries: new Counter({ name: "relayer_webhook_deliveries_total", help: "Webhook delivery attempts by outcome", labelNames: ["outcome"], registers: [registry] }),
    deliveryLatency: new Histogram({
      name: "relayer_webhook_delivery_seconds",
      help: "Time from an event becoming final to its webhook request leaving",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    pendingTimeouts: new Gauge({ name: "relayer_pending_timeouts", help: "Escrows past their deadline awaiting a timeout transaction", labelNames: ["chain"], registers: [registry] }),
    txJournal: new Gauge({ name: "relayer_tx_journal", help: "Transactions in the journal by state", labelNames: ["chain", "state"], registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
