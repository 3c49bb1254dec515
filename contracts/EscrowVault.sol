// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {DepositBook} from "./DepositBook.sol";
import {SignedActions} from "./SignedActions.sol";
import {TypedDataDomain} from "./TypedDataDomain.sol";
import {VaultConfig} from "./VaultConfig.sol";

/// @title EscrowVault
/// @notice The singleton vault of one chain: it holds every escrow opened by paying a signed invoice,
/// until the payer releases, the payee refunds, the arbiter resolves a dispute, or the deadline lets
/// anyone execute the timeout.
/// @dev Immutable, no proxy, the same bytecode on every EVM chain and on TRON. The parts, each in its
/// own file: {VaultConfig} (owner powers, fees, deferred payouts), {EscrowBook} (escrow state, party
/// actions, timeouts), {InvoiceBook} (invoices), {SignedActions} (signature-authorised twins) and
/// {TypedDataDomain} (EIP-712 / TIP-712 domain) and {DepositBook} (scan-to-pay deposit addresses, whose
/// refunds and recoveries run through the {DepositRouter} it creates).
contract EscrowVault is SignedActions, DepositBook {
    /// @notice The EIP-712 domain name wallets show when signing for this vault.
    string public constant DOMAIN_NAME = "EscrowVault";
    /// @notice The EIP-712 domain version.
    string public constant DOMAIN_VERSION = "1";

    /// @param initialOwner Holds the owner powers listed in {VaultConfig}.
    /// @param initialFeeRecipient Receives protocol fees.
    /// @param initialFeeBps Protocol fee on releases in basis points, at most 500.
    constructor(address initialOwner, address initialFeeRecipient, uint16 initialFeeBps)
        VaultConfig(initialOwner, initialFeeRecipient, initialFeeBps)
        TypedDataDomain(DOMAIN_NAME, DOMAIN_VERSION)
    {}
}
