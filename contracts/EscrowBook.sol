// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {VaultConfig} from "./VaultConfig.sol";

/// @title EscrowBook
/// @notice Every escrow's state and the party actions and timeouts that move its funds.
/// @dev One storage word per escrow: keccak256(abi.encode(Escrow)). An action takes the struct from
/// calldata, checks it against the word, and writes the hash of the updated struct (or closes it).
/// Writing one word instead of the whole struct is what keeps a payment near a plain transfer in gas.
///
/// Payouts are not behind the deposit lock: each one writes the escrow's new state before the token
/// call (checks-effects-interactions) and measures no balance, so a re-entering token can only act on
/// already-updated state. See docs/decisions/002-escrow-state-as-hash.md and
/// docs/decisions/006-payouts-without-reentrancy-lock.md.
abstract contract EscrowBook is VaultConfig {
    /// @notice How long the arbiter has to resolve a dispute before anyone can refund the payer.
    uint48 public constant ARBITRATION_PERIOD = 30 days;

    /// @dev Stored for a closed escrow or used invoice while its pay-by time has not passed, so the
    /// invoice cannot be paid twice. After pay-by, closing clears the word instead (and earns the
    /// storage refund), since paying is impossible from then on anyway.
    bytes32 internal constant _USED = bytes32(uint256(1));

    /// @dev abi.encode(Escrow) is ten static words.
    uint256 private constant _ESCROW_ENCODED_SIZE = 10 * 32;

    mapping(bytes32 escrowId => bytes32 escrowHash) private _escrowHashes;

    // ---------------------------------------------------------------- party actions

    /// @notice Releases `amount` of the escrow to the payee, minus the protocol fee.
    /// @dev Caller: the payer while undisputed, the arbiter while disputed. Reverts with
    /// {EscrowNotOpen}, {NotAuthorized}, {ZeroAmount} or {AmountExceedsRemaining}.
    /// Releasing the whole remainder closes the escrow.
    /// @param escrowId The escrow id (the paid invoice's id).
    /// @param escrow The escrow as last emitted.
    /// @param amount Gross amount to release, fee included.
    function release(bytes32 escrowId, Escrow calldata escrow, uint256 amount) external {
        _release(escrowId, escrow, amount, msg.sender);
    }

    /// @notice Refunds `amount` of the escrow to the payer.
    /// @dev Caller: the payee while undisputed or disputed, the arbiter while disputed. Reverts with
    /// {EscrowNotOpen}, {NotAuthorized}, {ZeroAmount} or {AmountExceedsRemaining}.
    /// @param escrowId The escrow id.
    /// @param escrow The escrow as last emitted.
    /// @param amount Amount to refund.
    function refund(bytes32 escrowId, Escrow calldata escrow, uint256 amount) external {
        _refund(escrowId, escrow, amount, msg.sender);
    }

    /// @notice Opens a dispute: from now on only the arbiter can release, and the payee can still refund.
    /// @dev Caller: the payer or the payee, before the deadline. Reverts with {EscrowNotOpen},
    /// {NotAuthorized}, {NoArbiter} when the escrow has none, {EscrowIsDisputed}, or {DeadlinePassed}.
    /// @param escrowId The escrow id.
    /// @param escrow The escrow as last emitted.
    function dispute(bytes32 escrowId, Escrow calldata escrow) external {
        _dispute(escrowId, escrow, msg.sender);
    }

    /// @notice Closes a disputed escrow: `payeeAmount` (minus fee) to the payee, the rest to the payer.
    /// @dev Caller: the arbiter, while disputed (also after the arbitration period, until someone
    /// executes the timeout). Reverts with {EscrowNotOpen}, {NotAuthorized}, {EscrowNotDisputed} or
    /// {AmountExceedsRemaining}.
    /// @param escrowId The escrow id.
    /// @param escrow The escrow as last emitted.
    /// @param payeeAmount Gross amount for the payee; the payer gets `remaining - payeeAmount`.
    function resolve(bytes32 escrowId, Escrow calldata escrow, uint256 payeeAmount) external {
        _resolve(escrowId, escrow, payeeAmount, msg.sender);
    }

    /// @notice Moves the deadline later.
    /// @dev Caller: the party the timeout favours (the payee for Release, the payer for Refund), while
    /// undisputed, also after the deadline until someone executes the timeout. An extension only ever
    /// delays the caller's own favourable outcome, and it reopens the window for disputes. Reverts with
    /// {EscrowNotOpen}, {NotAuthorized}, {EscrowIsDisputed}, or {DeadlineNotExtended} unless
    /// `newDeadline` is later.
    /// @param escrowId The escrow id.
    /// @param escrow The escrow as last emitted.
    /// @param newDeadline The new deadline (unix seconds).
    function extendDeadline(bytes32 escrowId, Escrow calldata escrow, uint48 newDeadline) external {
        _extendDeadline(escrowId, escrow, newDeadline, msg.sender);
    }

    // ---------------------------------------------------------------- timeouts

    /// @notice Executes the escrow's timeout: anyone may call once it is due.
    /// @dev Undisputed and past the deadline: the timeout action applies to the whole remainder.
    /// Disputed and past `disputedAt + ARBITRATION_PERIOD`: the payer is refunded. Reverts with
    /// {TimeoutNotReached} before then. Works while deposits are paused.
    /// @param escrowId The escrow id.
    /// @param escrow The escrow as last emitted.
    function executeTimeout(bytes32 escrowId, Escrow calldata escrow) external {
        _requireOpen(escrowId, escrow);
        uint256 executableAfter = timeoutExecutableAfter(escrow);
        if (block.timestamp <= executableAfter) revert TimeoutNotReached(block.timestamp, executableAfter);
        _executeTimeout(escrowId, escrow);
    }

    /// @notice Executes every due timeout in `calls`, skipping escrows that are closed, changed or not due.
    /// @dev Anyone may call. Skipping instead of reverting lets a relayer's batch survive a party acting
    /// on one of its escrows meanwhile.
    /// @param calls The escrows to time out.
    /// @return executed How many escrows were closed.
    function executeTimeouts(TimeoutCall[] calldata calls) external returns (uint256 executed) {
        for (uint256 i = 0; i < calls.length; ++i) {
            TimeoutCall calldata item = calls[i];
            if (_escrowHashes[item.escrowId] != hashEscrow(item.escrow)) continue;
            if (block.timestamp <= timeoutExecutableAfter(item.escrow)) continue;
            _executeTimeout(item.escrowId, item.escrow);
            // Cannot overflow: bounded by the calldata array length.
            unchecked {
                ++executed;
            }
        }
    }

    // ---------------------------------------------------------------- views

    /// @notice The hash the vault stores for an escrow: zero if unknown (or closed after pay-by),
    /// 0x…01 if the invoice was used (settled, cancelled or closed) and otherwise the open escrow's hash.
    function escrowHashOf(bytes32 escrowId) external view returns (bytes32) {
        return _escrowHashes[escrowId];
    }

    /// @notice The hash the vault stores for an open `escrow`: keccak256(abi.encode(escrow)).
    function hashEscrow(Escrow calldata escrow) public pure returns (bytes32 escrowHash) {
        // Hashing the struct's calldata words directly skips abi.encode's copy-and-clean pass. A
        // non-canonical encoding (dirty high bits) hashes differently and so is refused as not open.
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, escrow, _ESCROW_ENCODED_SIZE)
            escrowHash := keccak256(ptr, _ESCROW_ENCODED_SIZE)
        }
    }

    /// @notice The last second before which the escrow's timeout cannot be executed.
    function timeoutExecutableAfter(Escrow calldata escrow) public pure returns (uint256) {
        if (escrow.disputedAt != 0) return uint256(escrow.disputedAt) + ARBITRATION_PERIOD;
        return escrow.deadline;
    }

    // ---------------------------------------------------------------- internal actions

    function _release(bytes32 escrowId, Escrow calldata escrow, uint256 amount, address caller) internal {
        // Check
        _requireOpen(escrowId, escrow);
        address authorized = escrow.disputedAt == 0 ? escrow.payer : escrow.arbiter;
        if (caller != authorized) revert NotAuthorized(caller);
        _requireAmount(amount, escrow.remaining);

        // Update and emit
        uint256 fee = _feeOn(amount, escrow.feeBps);
        _debit(escrowId, escrow, amount);
        _accrueFee(escrow.token, fee);
        emit EscrowReleased(escrowId, amount, fee);

        // Transfer
        _payout(escrow.token, escrow.payee, amount - fee);
    }

    function _refund(bytes32 escrowId, Escrow calldata escrow, uint256 amount, address caller) internal {
        // Check
        _requireOpen(escrowId, escrow);
        bool byArbiter = escrow.disputedAt != 0 && caller == escrow.arbiter;
        if (caller != escrow.payee && !byArbiter) revert NotAuthorized(caller);
        _requireAmount(amount, escrow.remaining);

        // Update and emit
        _debit(escrowId, escrow, amount);
        emit EscrowRefunded(escrowId, amount);

        // Transfer
        _payout(escrow.token, escrow.payer, amount);
    }

    function _dispute(bytes32 escrowId, Escrow calldata escrow, address caller) internal {
        // Check
        _requireOpen(escrowId, escrow);
        if (caller != escrow.payer && caller != escrow.payee) revert NotAuthorized(caller);
        if (escrow.arbiter == address(0)) revert NoArbiter(escrowId);
        if (escrow.disputedAt != 0) revert EscrowIsDisputed(escrowId);
        if (block.timestamp > escrow.deadline) revert DeadlinePassed(block.timestamp, escrow.deadline);

        // Update and emit
        Escrow memory updated = escrow;
        updated.disputedAt = uint48(block.timestamp);
        _escrowHashes[escrowId] = keccak256(abi.encode(updated));
        emit EscrowDisputed(escrowId, caller, updated.disputedAt);
    }

    function _resolve(bytes32 escrowId, Escrow calldata escrow, uint256 payeeAmount, address caller) internal {
        // Check
        _requireOpen(escrowId, escrow);
        if (caller != escrow.arbiter) revert NotAuthorized(caller);
        if (escrow.disputedAt == 0) revert EscrowNotDisputed(escrowId);
        if (payeeAmount > escrow.remaining) revert AmountExceedsRemaining(payeeAmount, escrow.remaining);

        // Update and emit
        uint256 fee = _feeOn(payeeAmount, escrow.feeBps);
        uint256 payerAmount = escrow.remaining - payeeAmount;
        _close(escrowId, escrow.payBy);
        _accrueFee(escrow.token, fee);
        emit EscrowResolved(escrowId, payeeAmount, fee, payerAmount);

        // Transfer
        _payout(escrow.token, escrow.payee, payeeAmount - fee);
        _payout(escrow.token, escrow.payer, payerAmount);
    }

    function _extendDeadline(bytes32 escrowId, Escrow calldata escrow, uint48 newDeadline, address caller) internal {
        // Check
        _requireOpen(escrowId, escrow);
        address favoured = escrow.timeoutAction == TimeoutAction.Release ? escrow.payee : escrow.payer;
        if (caller != favoured) revert NotAuthorized(caller);
        if (escrow.disputedAt != 0) revert EscrowIsDisputed(escrowId);
        if (newDeadline <= escrow.deadline) revert DeadlineNotExtended(escrow.deadline, newDeadline);

        // Update and emit
        Escrow memory updated = escrow;
        updated.deadline = newDeadline;
        _escrowHashes[escrowId] = keccak256(abi.encode(updated));
        emit EscrowDeadlineExtended(escrowId, escrow.deadline, newDeadline);
    }

    /// @dev Closes a due escrow by its timeout rule. Callers have checked it is open and due.
    function _executeTimeout(bytes32 escrowId, Escrow calldata escrow) private {
        // An expired arbitration refunds: the arbiter never ruled for the payee.
        bool releases = escrow.disputedAt == 0 && escrow.timeoutAction == TimeoutAction.Release;
        uint256 amount = escrow.remaining;
        _close(escrowId, escrow.payBy);
        if (releases) {
            uint256 fee = _feeOn(amount, escrow.feeBps);
            _accrueFee(escrow.token, fee);
            emit EscrowTimedOut(escrowId, TimeoutAction.Release, amount, fee);
            _payout(escrow.token, escrow.payee, amount - fee);
        } else {
            emit EscrowTimedOut(escrowId, TimeoutAction.Refund, amount, 0);
            _payout(escrow.token, escrow.payer, amount);
        }
    }

    // ---------------------------------------------------------------- storage helpers

    /// @dev Records a newly funded escrow (or settled invoice) under `escrowId`.
    function _openEscrow(bytes32 escrowId, Escrow memory escrow) internal {
        _escrowHashes[escrowId] = keccak256(abi.encode(escrow));
    }

    /// @dev Marks an invoice id used without opening an escrow (settled or cancelled).
    function _markUsed(bytes32 escrowId) internal {
        _escrowHashes[escrowId] = _USED;
    }

    /// @dev Whether anything was ever recorded under `escrowId` that still blocks paying it.
    function _isUsed(bytes32 escrowId) internal view returns (bool) {
        return _escrowHashes[escrowId] != bytes32(0);
    }

    function _requireOpen(bytes32 escrowId, Escrow calldata escrow) private view {
        // A keccak256 output is never 0 or 1, so unknown, used and closed ids all fail here.
        if (_escrowHashes[escrowId] != hashEscrow(escrow)) revert EscrowNotOpen(escrowId);
    }

    function _requireAmount(uint256 amount, uint256 remaining) private pure {
        if (amount == 0) revert ZeroAmount();
        if (amount > remaining) revert AmountExceedsRemaining(amount, remaining);
    }

    /// @dev Takes `amount` out of the escrow, closing it when nothing remains.
    function _debit(bytes32 escrowId, Escrow calldata escrow, uint256 amount) private {
        if (amount == escrow.remaining) {
            _close(escrowId, escrow.payBy);
            return;
        }
        Escrow memory updated = escrow;
        // Cannot underflow: the caller checked amount <= remaining.
        unchecked {
            updated.remaining = escrow.remaining - amount;
        }
        _escrowHashes[escrowId] = keccak256(abi.encode(updated));
    }

    /// @dev Closes an escrow. Before the invoice's pay-by time the id must stay marked so the invoice
    /// cannot be paid again; after it, the word is cleared and the storage refund lowers this call's gas.
    function _close(bytes32 escrowId, uint48 payBy) private {
        _escrowHashes[escrowId] = block.timestamp > payBy ? bytes32(0) : _USED;
    }
}
