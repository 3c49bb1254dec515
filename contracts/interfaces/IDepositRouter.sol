// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {IEscrowVault} from "./IEscrowVault.sol";

/// @title IDepositRouter
/// @notice Events, errors and types of the deposit router: per-invoice deposit addresses for
/// scan-to-pay (a plain token transfer from any wallet or exchange), swept into the vault.
interface IDepositRouter {
    /// @notice Where a deposit address stands, derived from the vault and the address's balance.
    enum DepositState {
        Open, // the invoice can still be paid and the address holds less than its amount (none or short)
        Sweepable, // the invoice can still be paid and the address holds at least its amount
        Refundable, // the invoice can no longer be paid (used, cancelled or past pay-by) and tokens remain
        Closed // the invoice can no longer be paid and the address holds none of its token
    }

    /// @notice One sweep of a batch ({DepositRouter-sweepDeposits}): the arguments of the vault's `sweepDeposit`.
    struct SweepCall {
        /// @dev The invoice as signed.
        IEscrowVault.Invoice invoice;
        /// @dev The merchant's or its signer's signature over the invoice.
        bytes signature;
    }

    // ---------------------------------------------------------------- events

    /// @notice Tokens of the invoice's own token left deposit address `depositAddress` back towards the payer.
    /// @dev `amount` is what the deposit address's balance fell by.
    event DepositRefunded(
        bytes32 indexed invoiceId,
        address indexed depositAddress,
        address indexed token,
        address to,
        uint256 amount
    );

    /// @notice The merchant recovered a token sent to the deposit address by mistake; `token` is zero
    /// for the chain's native coin (ETH, TRX).
    event DepositRecovered(
        bytes32 indexed invoiceId,
        address indexed depositAddress,
        address indexed token,
        address to,
        uint256 amount
    );

    /// @notice The merchant accepted what deposit address `depositAddress` of invoice `invoiceId` holds
    /// (a late, short or repeated payment) by paying its own new invoice `acceptedInvoiceId` from it.
    event DepositAccepted(
        bytes32 indexed invoiceId,
        bytes32 indexed acceptedInvoiceId,
        address indexed depositAddress,
        uint256 amount
    );

    /// @notice A sweep in a batch reverted and was skipped; the rest of the batch went on.
    /// @dev `reason` is the vault's revert data (for example {IEscrowVault-DepositCallFailed} for a short
    /// payment, {IEscrowVault-InvoiceExpired}, {IEscrowVault-InvoiceAlreadyUsed}), cut to its first
    /// 256 bytes; every error of the vault fits whole.
    event DepositSweepFailed(bytes32 indexed invoiceId, bytes reason);

    // ---------------------------------------------------------------- errors

    /// @notice The caller has no right to this action on this deposit address.
    error NotAuthorized(address caller);
    /// @notice A zero address was given where an account is required.
    error ZeroAddress();
    /// @notice Tokens sent to the vault outside a payment could never leave it again (decision 003).
    error RecipientIsVault();
    /// @notice Refunds stated by the invoice go to its payer; the merchant cannot send them elsewhere.
    error RefundAddressMismatch(address refundAddress, address to);
    /// @notice The invoice's own token leaves only through a sweep, an acceptance or a refund.
    error InvoiceTokenNotRecoverable(address token);
    /// @notice The accepted invoice must keep the original's merchant, token, payer, arbiter and timeout
    /// action, and a hold period at least as long.
    error AcceptedTermsMismatch(bytes32 invoiceId, bytes32 acceptedInvoiceId);
    /// @notice The deposit address holds none of `token`.
    error NothingToMove(address depositAddress, address token);
    /// @notice A batch of sweeps must hold at least one: an empty one would spend a transaction on nothing.
    error EmptySweepBatch();
    /// @notice Sweep `index` of a batch failed with too little gas left to tell a starved call from a refused
    /// one, so the whole batch reverts; send it with a higher gas limit, or sweep that invoice on its own.
    error SweepOutOfGas(uint256 index);
}
