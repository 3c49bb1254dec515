import { randomBytes } from "node:crypto";

/** Ids of the rows this module creates; the prefix says what an id names wherever it shows up. */
export const newEventId = (): string => `evt_${randomBytes(16).toString("hex")}`;
export const newDeliveryId = (): string => `dlv_${randomBytes(16).toString("hex")}`;
export const newEndpointId = (): string => `ep_${randomBytes(12).toString("hex")}`;
