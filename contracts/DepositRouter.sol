// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IDepositRouter} from "./interfaces/IDepositRouter.sol";
import {IDepositVault} from "./interfaces/IDepositVault.sol";
import {IEscrowVault} from "./interfaces/IEscrowVault.sol";
import {TokenMovements} from "./libraries/TokenMovements.sol";

/// @title DepositRouter
/// @notice Batched sweeps for the relayer, and what happens to a deposit address's tokens besides the sweep:
/// refunds of what the invoice could not take (excess, late, short or repeated payments), the merchant
/// accepting such a payment instead, and the merchant recovering tokens or native coin sent there by mistake.
/// @dev Created by the vault's constructor ({DepositBook}); the vault lets only this contract make a
/// deposit address call out ({DepositBook-callDeposit}), and only once its invoice can no longer be paid.
/// The router keeps no storage: what an address holds is its balance, and whether it is refundable
/// follows from the vault's record of the invoice and the clock. Kept out of the vault so that the
/// vault's code stays small (EIP-170) and these rare paths cost the vault's payments nothing.
///
/// Refund rule: the invoice's `payer` is the refund address the payer stated at checkout, covered by
/// the merchant's signature. With one, refunds go only there (the payer itself may redirect them).
/// Without one, only the merchant may refund, to the address the payer gives it. See docs/security.md.
contract DepositRouter is IDepositRouter {
    /// @notice The vault that created this router and whose deposit addresses it serves.
    IDepositVault public immutable vault;

    /// @dev Revert data kept in {DepositSweepFailed}. The vault's own errors take at most 100 bytes and fit whole;
    /// only a token's revert data, which the vault passes on from a failed `balanceOf`, can be longer, and event
    /// data costs 8 gas a byte, so one allowlisted token gone wrong must not make each failure cost a fortune.
    uint256 private constant _MAX_REASON_BYTES = 256;

    /// @dev A failed sweep that leaves the batch less than 1/16 of the gas it had before the call may have
    /// starved rather than been refused (EIP-150): a call that runs out of gas k calls deep (router -> vault ->
    /// deposit address -> token is 3; a merchant's EIP-1271 wallet that calls on is 3 or more) leaves the
    /// router about 1 - (63/64)^k of it, 4.6% for k = 3 and 6.1% for k = 4.
    uint256 private constant _STARVED_GAS_DIVISOR = 16;

    /// @dev Called by the vault's constructor.
    constructor() {
        vault = IDepositVault(msg.sender);
    }

    /// @notice Sweeps many deposit addresses in one transaction: calls the vault's `sweepDeposit` for each,
    /// skipping the ones that revert.
    /// @dev Anyone may call, as anyone may sweep: the vault checks every invoice, holds its deposit lock and
    /// fixes where every token goes, so batching adds no power. A sweep that reverts (a short payment's
    /// {IEscrowVault-DepositCallFailed}, {IEscrowVault-InvoiceExpired}, {IEscrowVault-InvoiceAlreadyUsed},
    /// {IEscrowVault-InvalidInvoiceSignature}, {IEscrowVault-DepositsArePaused}, ...) emits {DepositSweepFailed}
    /// with the vault's revert data and the batch goes on. A sweep that fails with too little gas left to be
    /// told from a refused one (see {_STARVED_GAS_DIVISOR}), or with the vault's
    /// {TokenMovements-TokenMovementsOutOfGas}, reverts the whole batch with {SweepOutOfGas}: an invoice is
    /// never reported as failed because the caller's gas limit was too low. No gas cap per sweep: only
    /// allowlisted tokens and the merchant's own EIP-1271 wallet run code in a sweep, and a fixed cap in
    /// immutable code could not follow a token upgrade (docs/deposits.md, "Batched sweeps"). Reverts with
    /// {EmptySweepBatch} for no calls.
    /// NOTE: The router holds no storage, so a token re-entering it can corrupt nothing; a nested sweep meets
    /// the vault's deposit lock and is reported as failed ({IEscrowVault-ReentrantDeposit}).
    /// @param calls The invoices to sweep, with their signatures.
    /// @return swept How many sweeps succeeded (each emitted the vault's `EscrowOpened` or `InvoiceSettled`).
    function sweepDeposits(SweepCall[] calldata calls) external returns (uint256 swept) {
        // Check
        if (calls.length == 0) revert EmptySweepBatch();

        // Sweep each; the vault checks, records, emits and moves the tokens
        for (uint256 i = 0; i < calls.length; ++i) {
            uint256 gasBefore = gasleft();
            try vault.sweepDeposit(calls[i].invoice, calls[i].signature) returns (bytes32) {
                ++swept;
            } catch (bytes memory reason) {
                _requireNotStarved(i, gasBefore, reason);
                emit DepositSweepFailed(vault.hashInvoice(calls[i].invoice), _truncated(reason));
            }
        }
    }

    /// @notice Refunds everything the deposit address holds in the invoice's token, once the invoice can
    /// no longer be paid (paid, cancelled, or past its pay-by time).
    /// @dev With a stated refund address (`invoice.payer`): the payer may send anywhere, the merchant and its
    /// invoice signer only to the payer. Without one: only the merchant, to the address the payer gave it.
    /// Reverts with {NotAuthorized}, {RefundAddressMismatch}, {ZeroAddress}, {RecipientIsVault}, {NothingToMove},
    /// or the vault's {IEscrowVault-InvoiceStillPayable} and {IEscrowVault-DepositCallFailed}.
    /// @param invoice The invoice as signed.
    /// @param to Receives the refund.
    function refund(IEscrowVault.Invoice calldata invoice, address to) external {
        // Check
        _requireRecipient(to);
        if (invoice.payer == address(0)) {
            if (msg.sender != invoice.merchant) revert NotAuthorized(msg.sender);
        } else if (msg.sender != invoice.payer) {
            if (!_isMerchantOrSigner(invoice.merchant)) revert NotAuthorized(msg.sender);
            if (to != invoice.payer) revert RefundAddressMismatch(invoice.payer, to);
        }

        // Transfer and emit
        (bytes32 invoiceId, address deposit, uint256 amount) = _moveAll(invoice, invoice.token, to);
        emit DepositRefunded(invoiceId, deposit, invoice.token, to, amount);
    }

    /// @notice Accepts what the deposit address holds (a late, short or repeated payment) by paying a new
    /// invoice with it, once the original can no longer be paid.
    /// @dev Caller: the merchant or its invoice signer. `accepted` is a new invoice the merchant signs with the
    /// same merchant, token, payer, arbiter and timeout action and a hold period at least as long: the payer
    /// keeps the protection the original promised. Its amount (at most what the address holds) and pay-by
    /// time are the merchant's. Exactly `accepted.amount` moves from the original's address into the vault;
    /// the rest stays, refundable. The escrow's payer is the stated payer or, without one, the original's
    /// deposit address (where refunds then wait for the merchant). To accept a short payment before the pay-by
    /// time, cancel the original first, so that a later top-up cannot pay it as well. Reverts with
    /// {NotAuthorized}, {AcceptedTermsMismatch}, or the vault's errors (for example
    /// {IEscrowVault-DepositCallFailed} when the address holds less than `accepted.amount`).
    /// @param invoice The original invoice, whose deposit address holds the funds.
    /// @param accepted The new invoice to pay with them.
    /// @param signature The merchant's or its signer's signature over `accepted`.
    /// @return acceptedInvoiceId The new invoice's id, which is also the escrow id.
    function acceptPayment(
        IEscrowVault.Invoice calldata invoice,
        IEscrowVault.Invoice calldata accepted,
        bytes calldata signature
    ) external returns (bytes32 acceptedInvoiceId) {
        // Check
        if (!_isMerchantOrSigner(invoice.merchant)) revert NotAuthorized(msg.sender);
        acceptedInvoiceId = vault.hashInvoice(accepted);
        if (!_keepsTerms(invoice, accepted)) revert AcceptedTermsMismatch(vault.hashInvoice(invoice), acceptedInvoiceId);


        // Pay through the vault, which refuses while the original is payable, checks the accepted invoice
        // and measures what it receives.
        bytes32 invoiceId = vault.hashInvoice(invoice);
        emit DepositAccepted(invoiceId, acceptedInvoiceId, vault.depositAddress(invoiceId), accepted.amount);
        vault.payFromDeposit(accepted, signature, invoice);
    }

    /// @notice Sends the deposit address's whole balance of a token that is not the invoice's, or of the
    /// native coin (`token` zero), to `to`: tokens sent there by mistake. Only once the invoice can no
    /// longer be paid.
    /// @dev Only the merchant (not its invoice signer: a leaked hot key must not move money). Reverts with
    /// {NotAuthorized}, {InvoiceTokenNotRecoverable}, {ZeroAddress}, {RecipientIsVault}, {NothingToMove}, or
    /// the vault's {IEscrowVault-InvoiceStillPayable} and {IEscrowVault-DepositCallFailed}.
    /// @param invoice The invoice as signed.
    /// @param token The mistaken token, or zero for the native coin.
    /// @param to Receives it; the merchant returns it to whoever shows they sent it.
    function recover(IEscrowVault.Invoice calldata invoice, address token, address to) external {
        // Check
        if (msg.sender != invoice.merchant) revert NotAuthorized(msg.sender);
        if (token == invoice.token) revert InvoiceTokenNotRecoverable(token);
        _requireRecipient(to);

        // Transfer and emit
        bytes32 invoiceId;
        address deposit;
        uint256 amount;
        if (token == address(0)) {
            deposit = vault.depositAddress(vault.hashInvoice(invoice));
            amount = deposit.balance;
            if (amount == 0) revert NothingToMove(deposit, token);
            (invoiceId, ) = vault.callDeposit(invoice, to, amount, "");
        } else {
            (invoiceId, deposit, amount) = _moveAll(invoice, token, to);
        }
        emit DepositRecovered(invoiceId, deposit, token, to, amount);
    }

    /// @notice The invoice's id, its deposit address, the address's balance of the invoice's token and its state.
    /// @param invoice The invoice as signed.
    function depositOf(IEscrowVault.Invoice calldata invoice)
        external
        view
        returns (bytes32 invoiceId, address deposit, uint256 balance, DepositState state)
    {
        invoiceId = vault.hashInvoice(invoice);
        deposit = vault.depositAddress(invoiceId);
        balance = IERC20(invoice.token).balanceOf(deposit);
        bool payable_ = block.timestamp <= invoice.payBy && vault.escrowHashOf(invoiceId) == bytes32(0);
        if (payable_) {
            state = balance >= invoice.amount ? DepositState.Sweepable : DepositState.Open;
        } else {
            state = balance == 0 ? DepositState.Closed : DepositState.Refundable;
        }
    }

    // ---------------------------------------------------------------- internals

    /// @dev Reverts the batch with {SweepOutOfGas} when sweep `index`, which failed with `reason`, may have run
    /// out of gas rather than been refused: less than 1/{_STARVED_GAS_DIVISOR} of `gasBefore` is left, or the
    /// vault itself says a payout's token call ran out of gas.
    function _requireNotStarved(uint256 index, uint256 gasBefore, bytes memory reason) private view {
        bool starved = gasleft() < gasBefore / _STARVED_GAS_DIVISOR;
        if (starved || bytes4(reason) == TokenMovements.TokenMovementsOutOfGas.selector) revert SweepOutOfGas(index);
    }

    /// @dev `reason` cut to its first {_MAX_REASON_BYTES} bytes, in place (shortening a bytes array in memory
    /// leaves it well-formed).
    function _truncated(bytes memory reason) private pure returns (bytes memory) {
        if (reason.length > _MAX_REASON_BYTES) {
            assembly ("memory-safe") {
                mstore(reason, _MAX_REASON_BYTES)
            }
        }
        return reason;
    }

    /// @dev Moves the deposit address's whole balance of `token` to `to`; `moved` is how much its balance
    /// fell (a token that reports success without moving anything moves nothing here either).
    function _moveAll(
        IEscrowVault.Invoice calldata invoice,
        address token,
        address to
    ) private returns (bytes32 invoiceId, address deposit, uint256 moved) {
        invoiceId = vault.hashInvoice(invoice);
        deposit = vault.depositAddress(invoiceId);
        uint256 balanceBefore = IERC20(token).balanceOf(deposit);
        if (balanceBefore == 0) revert NothingToMove(deposit, token);
        vault.callDeposit(invoice, token, 0, abi.encodeCall(IERC20.transfer, (to, balanceBefore)));
        uint256 balanceAfter = IERC20(token).balanceOf(deposit);
        moved = balanceAfter < balanceBefore ? balanceBefore - balanceAfter : 0;
    }

    /// @dev A refund or recovery needs a real recipient, and never the vault: tokens the vault did not take as
    /// a payment would be stranded there.
    function _requireRecipient(address to) private view {
        if (to == address(0)) revert ZeroAddress();
        if (to == address(vault)) revert RecipientIsVault();
    }

    function _isMerchantOrSigner(address merchant) private view returns (bool) {
        return msg.sender == merchant || msg.sender == vault.invoiceSigner(merchant);
    }

    /// @dev Whether `accepted` keeps every term of `invoice` that protects the payer.
    function _keepsTerms(
        IEscrowVault.Invoice calldata invoice,
        IEscrowVault.Invoice calldata accepted
    ) private pure returns (bool) {
        return
            accepted.merchant == invoice.merchant &&
            accepted.token == invoice.token &&
            accepted.payer == invoice.payer &&
            accepted.arbiter == invoice.arbiter &&
            accepted.timeoutAction == invoice.timeoutAction &&
            accepted.holdPeriod >= invoice.holdPeriod;
    }
}
