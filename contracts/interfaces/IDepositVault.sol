// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {IEscrowVault} from "./IEscrowVault.sol";

/// @title IDepositVault
/// @notice The part of the vault the deposit router calls: invoice ids and state, deposit addresses,
/// sweeping, and the router-only call through a deposit address.
/// @dev Implemented by {EscrowVault} (through {DepositBook}, {InvoiceBook} and {EscrowBook}).
interface IDepositVault {
    /// @notice The invoice id: its EIP-712 digest in the vault's domain.
    function hashInvoice(IEscrowVault.Invoice calldata invoice) external view returns (bytes32);

    /// @notice Zero if unknown (or closed after pay-by), otherwise the used marker or the open escrow's hash.
    function escrowHashOf(bytes32 escrowId) external view returns (bytes32);

    /// @notice The extra key a merchant lets sign invoices for it.
    function invoiceSigner(address merchant) external view returns (address);

    /// @notice The deposit address of invoice `invoiceId`.
    function depositAddress(bytes32 invoiceId) external view returns (address);

    /// @notice Pays `invoice` from its deposit address.
    function sweepDeposit(
        IEscrowVault.Invoice calldata invoice,
        bytes calldata signature
    ) external returns (bytes32 invoiceId);

    /// @notice Pays `invoice` from the deposit address of `original`, which can no longer be paid; only the router.
    function payFromDeposit(
        IEscrowVault.Invoice calldata invoice,
        bytes calldata signature,
        IEscrowVault.Invoice calldata original
    ) external returns (bytes32 invoiceId);

    /// @notice Makes the deposit address of `invoice` call `target` with `value` and `payload`; only the
    /// router, and only once the invoice can no longer be paid.
    function callDeposit(
        IEscrowVault.Invoice calldata invoice,
        address target,
        uint256 value,
        bytes calldata payload
    ) external returns (bytes32 invoiceId, address deposit);
}
