/**
 * P2P acceptor flows, relayer half (docs/p2p.md "Relayer", decision 012): the acceptor registry,
 * orders and their state machine, the matching engine, and the seams to the chain: `ReservationPort`
 * (the engine and the API queue reservations and confirmations through it) and `applyDeskEvents`
 * (ingestion feeds the desk's events through it).
 */
export { createMatchingEngine, type MatchingEngine, type MatchingEngineOptions, type BatchResult, ACCEPT_TIMEOUT_MS, BATCH_SIZE, UNMATCHED_RETRY_MS } from "./engine.js";
export { applyDeskEvents, type DeskApplyResult } from "./desk.js";
export { createAcceptorRegistry, P2pForbiddenError, type AcceptorRegistry, type AcceptorInput, type Caller } from "./registry.js";
export { createP2pOrders, P2pRiskRefusedError, DEFAULT_USER_LIMITS, type P2pOrders, type CreateOrderInput, type OrderAction, type UserLimits } from "./orders.js";
export { idleReservationPort, type ReservationPort, type ReservationRequest, type ConfirmRequest } from "./ports.js";
export { setFreeBalance } from "../store/p2p-acceptors-repository.js";
export { OrderTransitionError, ORDER_EVENT_TYPES } from "../domain/p2p-order.js";
export type { DeskEvent, DeskRecord, DeskOrder, DeskEventOrigin } from "../domain/p2p-desk.js";
