// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {AcceptorReservationAuth} from "./AcceptorReservationAuth.sol";

/// @title AcceptorOrders
/// @notice P2P orders once open: the party actions that confirm, cancel, dispute, resolve, extend or
/// expire them. Opening them (reserving liquidity, taking a platform's tokens) is {AcceptorOrderOpening}.
/// @dev Orders live in per-acceptor slots chosen by the relayer. A slot holds keccak256(abi.encode(Order))
/// while the order is open and {tombstoneOf} that hash once it closes, so it is never zero again and a
/// reservation into a used slot rewrites a non-zero word (5,000 gas) instead of creating one (22,100).
/// A reservation names the slot's current content (`previous`) and the platform's signature covers it, so
/// a signed reservation cannot be replayed into its slot after the order closes. See
/// docs/decisions/011-acceptor-desk.md.
///
/// Sides: the payer side funds the order and gets refunds, the payee side gets the release.
/// Deposit: payer = the acceptor (its free balance), payee = the beneficiary (a token transfer).
/// Withdrawal: payer = the platform (refunds go to the beneficiary), payee = the acceptor (its free balance).
/// The platform side is the platform or its vault invoice signer.
abstract contract AcceptorOrders is AcceptorReservationAuth {
    /// @notice How long the arbiter has to resolve a dispute before anyone can expire the order (as the vault).
    uint48 public constant ARBITRATION_PERIOD = 30 days;

    /// @dev abi.encode(Order) is ten static words.
    uint256 private constant _ORDER_ENCODED_SIZE = 10 * 32;
    /// @dev The lowest bit of a slot word tells a closed slot (1) from an open order (0), so that no
    /// reservation can overwrite an open order whatever `previous` it states. Hashes keep 255 bits.
    uint256 internal constant _CLOSED_BIT = 1;

    mapping(address acceptor => mapping(uint256 slot => bytes32 content)) internal _slots;

    // ---------------------------------------------------------------- party actions

    /// @notice Releases the order to the payee side: Deposit, the beneficiary is paid; Withdrawal, the
    /// acceptor's free balance is credited.
    /// @dev Caller: the payer side (Deposit: the acceptor, on receiving the fiat; Withdrawal: the platform or
    /// its signer, for the user who received the fiat), while open or disputed. A Deposit payout the token
    /// refuses is deferred to the beneficiary. Reverts with {OrderNotOpen} or {NotAuthorized}.
    /// @param order The order as last emitted.
    /// @param slot Its slot.
    function confirm(Order calldata order, uint256 slot) external {
        _confirm(order, slot, msg.sender);
    }

    /// @notice Refunds the order to the payer side early.
    /// @dev Caller: the payee side (Deposit: the platform or its signer, the user gave up; Withdrawal: the
    /// acceptor, declining), while open or disputed. Reverts with {OrderNotOpen} or {NotAuthorized}.
    /// @param order The order as last emitted.
    /// @param slot Its slot.
    function cancel(Order calldata order, uint256 slot) external {
        _cancel(order, slot, msg.sender);
    }

    /// @notice Disputes the order: from now on it closes by the payer side's confirm, the payee side's
    /// cancel, the arbiter's resolution, or expiry after the arbitration period.
    /// @dev Caller: the payee side, while `block.timestamp <= deadline`. Reverts with {OrderNotOpen},
    /// {NotAuthorized}, {NoArbiter}, {OrderIsDisputed} or {DeadlinePassed}.
    /// @param order The order as last emitted.
    /// @param slot Its slot.
    function dispute(Order calldata order, uint256 slot) external {
        _dispute(order, slot, msg.sender);
    }

    /// @notice Closes a disputed order: `payeeAmount` to the payee side, the rest to the payer side.
    /// @dev Caller: the arbiter, while disputed (also after the arbitration period, until someone expires it).
    /// Reverts with {OrderNotOpen}, {NotAuthorized}, {OrderNotDisputed} or {AmountExceedsOrder}.
    /// @param order The order as last emitted.
    /// @param slot Its slot.
    /// @param payeeAmount Amount for the payee side, at most `order.amount`.
    function resolve(Order calldata order, uint256 slot, uint256 payeeAmount) external {
        _resolve(order, slot, payeeAmount, msg.sender);
    }

    /// @notice Moves the deadline later.
    /// @dev Caller: the payer side (the expiry favours it), while undisputed, also after the deadline until
    /// someone expires the order. Reopens the window for disputes. Reverts with {OrderNotOpen},
    /// {NotAuthorized}, {OrderIsDisputed} or {DeadlineNotExtended}.
    /// @param order The order as last emitted.
    /// @param slot Its slot.
    /// @param newDeadline The new deadline (unix seconds), later than the current one.
    function extendDeadline(Order calldata order, uint256 slot, uint48 newDeadline) external {
        _extendDeadline(order, slot, newDeadline, msg.sender);
    }

    // ---------------------------------------------------------------- expiry

    /// @notice Expires a due order, refunding the payer side: anyone may call.
    /// @dev Due after the deadline when undisputed, after `disputedAt + ARBITRATION_PERIOD` when disputed.
    /// Works while deposits are paused. Reverts with {OrderNotOpen} or {ExpiryNotReached}.
    /// @param order The order as last emitted.
    /// @param slot Its slot.
    function expire(Order calldata order, uint256 slot) external {
        bytes32 orderHash = _requireOpen(order, slot);
        uint256 dueAfter = expirableAfter(order);
        if (block.timestamp <= dueAfter) revert ExpiryNotReached(block.timestamp, dueAfter);
        _expire(order, slot, orderHash);
    }

    /// @notice Expires every due order in `calls`, skipping orders that are closed, changed or not due.
    /// @dev Anyone may call. Skipping instead of reverting lets a relayer's batch survive a party acting on
    /// one of its orders meanwhile.
    /// @param calls The orders to expire.
    /// @return expired How many orders were closed.
    function expireBatch(ExpireCall[] calldata calls) external returns (uint256 expired) {
        for (uint256 i = 0; i < calls.length; ++i) {
            ExpireCall calldata item = calls[i];
            bytes32 orderHash = hashOrder(item.order);
            if (_slots[item.order.acceptor][item.slot] != orderHash) continue;
            if (block.timestamp <= expirableAfter(item.order)) continue;
            _expire(item.order, item.slot, orderHash);
            // Cannot overflow: bounded by the calldata array length.
            unchecked {
                ++expired;
            }
        }
    }

    // ---------------------------------------------------------------- views

    /// @notice What `acceptor`'s `slot` holds: zero if never used, an open order's {hashOrder}, or the
    /// {tombstoneOf} the last order's hash once it closed.
    function orderSlot(address acceptor, uint256 slot) external view returns (bytes32) {
        return _slots[acceptor][slot];
    }

    /// @notice The word a slot holds while `order` is open: keccak256(abi.encode(order)) with the lowest bit
    /// cleared (a set lowest bit marks a closed slot).
    function hashOrder(Order calldata order) public pure returns (bytes32 orderHash) {
        // Hashing the struct's calldata words directly skips abi.encode's copy-and-clean pass. A
        // non-canonical encoding (dirty high bits) hashes differently and so is refused as not open.
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, order, _ORDER_ENCODED_SIZE)
            orderHash := and(keccak256(ptr, _ORDER_ENCODED_SIZE), not(_CLOSED_BIT))
        }
    }

    /// @notice The word a slot keeps once the order whose last hash was `orderHash` closed:
    /// keccak256(abi.encode(orderHash)) with the lowest bit set. Never zero, never an open order's hash.
    function tombstoneOf(bytes32 orderHash) public pure returns (bytes32) {
        return keccak256(abi.encode(orderHash)) | bytes32(_CLOSED_BIT);
    }

    /// @notice The last second at which `order` cannot be expired yet.
    function expirableAfter(Order calldata order) public pure returns (uint256) {
        if (order.disputedAt != 0) return uint256(order.disputedAt) + ARBITRATION_PERIOD;
        return order.deadline;
    }

    // ---------------------------------------------------------------- internal actions

    function _confirm(Order calldata order, uint256 slot, address caller) internal {
        // Check
        bytes32 orderHash = _requireOpen(order, slot);
        if (!_isPayerSide(order, caller)) revert NotAuthorized(caller);

        // Update and emit
        _close(order.acceptor, slot, orderHash);
        emit OrderConfirmed(order.orderId, order.acceptor, slot, caller);

        // Transfer (or credit)
        _payPayee(order, order.amount);
    }

    function _cancel(Order calldata order, uint256 slot, address caller) internal {
        // Check
        bytes32 orderHash = _requireOpen(order, slot);
        if (!_isPayeeSide(order, caller)) revert NotAuthorized(caller);

        // Update and emit
        _close(order.acceptor, slot, orderHash);
        emit OrderCancelled(order.orderId, order.acceptor, slot, caller);

        // Transfer (or credit)
        _refundPayer(order, order.amount);
    }

    function _dispute(Order calldata order, uint256 slot, address caller) internal {
        // Check
        _requireOpen(order, slot);
        if (!_isPayeeSide(order, caller)) revert NotAuthorized(caller);
        if (order.arbiter == address(0)) revert NoArbiter(order.orderId);
        if (order.disputedAt != 0) revert OrderIsDisputed(order.orderId);
        if (block.timestamp > order.deadline) revert DeadlinePassed(block.timestamp, order.deadline);

        // Update and emit
        Order memory updated = order;
        updated.disputedAt = uint48(block.timestamp);
        _slots[order.acceptor][slot] = _hashUpdated(updated);
        emit OrderDisputed(order.orderId, order.acceptor, slot, caller, updated.disputedAt);
    }

    function _resolve(Order calldata order, uint256 slot, uint256 payeeAmount, address caller) internal {
        // Check
        bytes32 orderHash = _requireOpen(order, slot);
        if (caller != order.arbiter) revert NotAuthorized(caller);
        if (order.disputedAt == 0) revert OrderNotDisputed(order.orderId);
        if (payeeAmount > order.amount) revert AmountExceedsOrder(payeeAmount, order.amount);

        // Update and emit
        // Cannot underflow: checked just above.
        uint256 payerAmount;
        unchecked {
            payerAmount = order.amount - payeeAmount;
        }
        _close(order.acceptor, slot, orderHash);
        emit OrderResolved(order.orderId, order.acceptor, slot, payeeAmount, payerAmount);

        // Transfer (or credit)
        _payPayee(order, payeeAmount);
        _refundPayer(order, payerAmount);
    }

    function _extendDeadline(Order calldata order, uint256 slot, uint48 newDeadline, address caller) internal {
        // Check
        _requireOpen(order, slot);
        if (!_isPayerSide(order, caller)) revert NotAuthorized(caller);
        if (order.disputedAt != 0) revert OrderIsDisputed(order.orderId);
        if (newDeadline <= order.deadline) revert DeadlineNotExtended(order.deadline, newDeadline);

        // Update and emit
        Order memory updated = order;
        updated.deadline = newDeadline;
        _slots[order.acceptor][slot] = _hashUpdated(updated);
        emit OrderDeadlineExtended(order.orderId, order.acceptor, slot, newDeadline);
    }

    /// @dev Closes a due order, refunding the payer side. Callers have checked it is open and due.
    function _expire(Order calldata order, uint256 slot, bytes32 orderHash) private {
        _close(order.acceptor, slot, orderHash);
        emit OrderExpired(order.orderId, order.acceptor, slot);
        _refundPayer(order, order.amount);
    }

    // ---------------------------------------------------------------- checks and helpers

    /// @dev {hashOrder} of an order changed in memory (disputed or extended).
    function _hashUpdated(Order memory updated) private pure returns (bytes32) {
        return keccak256(abi.encode(updated)) & ~bytes32(_CLOSED_BIT);
    }

    /// @dev Checks `order` is what `slot` holds and returns its hash.
    function _requireOpen(Order calldata order, uint256 slot) private view returns (bytes32 orderHash) {
        orderHash = hashOrder(order);
        // A keccak256 output is never zero, and a tombstone is never an open order's hash.
        if (_slots[order.acceptor][slot] != orderHash) revert OrderNotOpen(order.orderId, order.acceptor, slot);
    }

    /// @dev Closes the order in `slot`: its tombstone keeps the slot non-zero and unlike any earlier content.
    function _close(address acceptor, uint256 slot, bytes32 orderHash) private {
        _slots[acceptor][slot] = tombstoneOf(orderHash);
    }

    /// @dev Deposit: the acceptor. Withdrawal: the platform side.
    function _isPayerSide(Order calldata order, address account) internal view returns (bool) {
        if (order.kind == OrderKind.Deposit) return account == order.acceptor;
        return _isPlatformSide(order.platform, account);
    }

    /// @dev Deposit: the platform side. Withdrawal: the acceptor.
    function _isPayeeSide(Order calldata order, address account) internal view returns (bool) {
        if (order.kind == OrderKind.Deposit) return _isPlatformSide(order.platform, account);
        return account == order.acceptor;
    }

    /// @dev Deposit: pays the beneficiary (deferred if refused). Withdrawal: credits the acceptor.
    function _payPayee(Order calldata order, uint256 amount) private {
        if (order.kind == OrderKind.Deposit) _payout(order.token, order.beneficiary, amount);
        else _credit(order.acceptor, order.token, amount);
    }

    /// @dev Deposit: credits the acceptor. Withdrawal: pays the beneficiary (deferred if refused).
    function _refundPayer(Order calldata order, uint256 amount) private {
        if (order.kind == OrderKind.Deposit) _credit(order.acceptor, order.token, amount);
        else _payout(order.token, order.beneficiary, amount);
    }
}
