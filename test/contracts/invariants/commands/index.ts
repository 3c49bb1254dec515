/**
 * The chain side of the invariant tests (vault.property.test.ts): the driver that runs every action
 * on the chain and checks the state read back against the model, the fast-check commands that draw
 * those actions, and the end-of-sequence drain for invariant 2.
 */
export { VaultDriver, newTotals, type Cast, type ChainOutcome, type RunTotals, type TokenUnderTest } from "./driver";
export { closeEverything } from "./end-of-sequence";
export { vaultCommand } from "./arbitraries";
