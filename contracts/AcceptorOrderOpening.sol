// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {AcceptorOrders} from "./AcceptorOrders.sol";
import {TokenMovements} from "./libraries/TokenMovements.sol";

/// @title AcceptorOrderOpening
/// @notice Opening P2P orders: reserving an acceptor's free balance for a Deposit order (bookkeeping,
/// one at a time or in a batch under one platform signature) and taking a platform's tokens for a
/// Withdrawal order.
/// @dev Every new order is checked the same way ({_checkNewOrder}): its fields, the slot's current content
/// (`previous`, so a signed reservation cannot be replayed into a recycled slot) and the platform's
/// authorisation. See {AcceptorOrders} for slots and sides, and docs/decisions/011-acceptor-desk.md.
abstract contract AcceptorOrderOpening is AcceptorOrders {
    using TokenMovements for address;

    /// @notice Reserves `order.amount` of the acceptor's free balance for a Deposit order, in `slot`.
    /// @dev Caller: anyone with the platform's (or its invoice signer's) signature over the reservation;
    /// or the platform or its signer itself with an empty signature. Moves no tokens. Works while deposits are
    /// paused (no money comes in). Reverts with {WrongOrderKind}, {ZeroAmount}, {ZeroAddress},
    /// {RecipientIsDesk}, {OrderIsDisputed}, {DeadlinePassed}, {ArbiterConflict}, {SlotMismatch}, {SlotOccupied},
    /// {InvalidPlatformSignature}, {PlatformNotTrusted} or {InsufficientFreeBalance}.
    /// @param order The order; `kind` Deposit, `disputedAt` zero, `deadline` in the future.
    /// @param slot The acceptor's slot to use (the relayer keeps a free list).
    /// @param previous What the slot holds now: zero if never used, else the tombstone of its last order.
    /// @param platformSignature EIP-712 signature over `Reservation(order..., slot, previous)`, or empty.
    function reserve(Order calldata order, uint256 slot, bytes32 previous, bytes calldata platformSignature) external {
        PlatformAuth memory auth = _singleAuth(order, platformSignature);
        _reserve(order, slot, previous, platformSignature, true, auth);
    }

    /// @notice Makes every reservation in `calls` under one platform signature; one that fails emits
    /// {ReservationFailed} and is skipped.
    /// @dev Same rules as {reserve} for each item, but the platform (or its invoice signer) signs the whole
    /// batch once: EIP-712 `ReservationBatch(Reservation[] reservations, uint256 validBefore)`, each item
    /// hashed as the {reserve} signature's `Reservation` (slot and previous content included). An item of
    /// another platform than the signer's fails with {InvalidPlatformSignature}. With an empty signature
    /// the caller must be each item's platform or its signer. The relayer re-matches the failed orders; the
    /// signature cannot reserve them later once `validBefore` has passed. Reverts with
    /// {AuthorizationExpired} when `block.timestamp >= validBefore`.
    /// @param calls The reservations.
    /// @param validBefore The batch (signed or not) is refused from this second on.
    /// @param platformSignature EIP-712 signature over the `ReservationBatch`, or empty.
    /// @return reserved How many succeeded.
    function reserveBatch(
        ReserveCall[] calldata calls,
        uint256 validBefore,
        bytes calldata platformSignature
    ) external returns (uint256 reserved) {
        if (block.timestamp >= validBefore) revert AuthorizationExpired(block.timestamp, validBefore);
        PlatformAuth memory auth;
        if (platformSignature.length != 0) {
            auth = _newAuth(_hashTypedData(_batchStructHash(calls, validBefore)), platformSignature);
        }
        for (uint256 i = 0; i < calls.length; ++i) {
            ReserveCall calldata item = calls[i];
            bytes4 failure = _reserve(item.order, item.slot, item.previous, platformSignature, false, auth);
            if (failure == bytes4(0)) {
                // Cannot overflow: bounded by the calldata array length.
                unchecked {
                    ++reserved;
                }
            } else {
                emit ReservationFailed(item.order.orderId, item.order.acceptor, failure);
            }
        }
    }

    /// @notice Opens a Withdrawal order: pulls `order.amount` from the platform into the desk, in `slot`.
    /// @dev Same authorisation as {reserve}; the platform must have approved the desk. Blocked while the
    /// vault pauses deposits or does not allowlist the token. The acceptor need not trust the platform: its
    /// liquidity is not touched. Reverts as {reserve} (bar the trust and balance checks) and with
    /// {DepositsArePaused}, {TokenNotAllowed}, {ReentrantPull} or the token library's errors.
    /// @param order The order; `kind` Withdrawal.
    /// @param slot The acceptor's slot to use.
    /// @param previous What the slot holds now.
    /// @param platformSignature EIP-712 signature over `Reservation(order..., slot, previous)`, or empty.
    function openWithdrawal(
        Order calldata order,
        uint256 slot,
        bytes32 previous,
        bytes calldata platformSignature
    ) external {
        // Check
        if (order.kind != OrderKind.Withdrawal) revert WrongOrderKind(order.orderId, order.kind);
        PlatformAuth memory auth = _singleAuth(order, platformSignature);
        _checkNewOrder(order, slot, previous, platformSignature, true, auth);
        _enterPull(order.token);

        // Update and emit, then pull: a shortfall reverts the whole call.
        _slots[order.acceptor][slot] = hashOrder(order);
        emit OrderOpened(order.orderId, order.acceptor, order.platform, slot, order);
        order.token.pullExact(order.platform, address(this), order.amount);
        _exitPull();
    }

    // ---------------------------------------------------------------- internals

    /// @dev Reserves one Deposit order. With `strict` a failed check reverts with its error; without, it
    /// returns the error's selector (zero on success) so {reserveBatch} can go on.
    function _reserve(
        Order calldata order,
        uint256 slot,
        bytes32 previous,
        bytes calldata platformSignature,
        bool strict,
        PlatformAuth memory auth
    ) private returns (bytes4 failure) {
        // Check
        if (order.kind != OrderKind.Deposit) {
            return _fail(strict, abi.encodeWithSelector(WrongOrderKind.selector, order.orderId, order.kind));
        }
        failure = _checkNewOrder(order, slot, previous, platformSignature, strict, auth);
        if (failure != bytes4(0)) return failure;
        address acceptor = order.acceptor;
        if (!_isTrusted(acceptor, order.platform)) {
            return _fail(strict, abi.encodeWithSelector(PlatformNotTrusted.selector, acceptor, order.platform));
        }
        uint256 available = _freeBalanceOf(acceptor, order.token);
        if (available < order.amount) {
            return _fail(
                strict,
                abi.encodeWithSelector(
                    InsufficientFreeBalance.selector, acceptor, order.token, available, order.amount
                )
            );
        }

        // Update and emit (no transfer: the reserved tokens are already in the desk)
        // Cannot underflow: checked just above.
        unchecked {
            _setFreeBalance(acceptor, order.token, available - order.amount);
        }
        bytes32 orderHash = hashOrder(order);
        _slots[acceptor][slot] = orderHash;
        emit OrderReserved(order.orderId, acceptor, order.platform, slot, orderHash);
    }

    /// @dev The checks shared by both kinds of new order: its fields, the slot's content and the platform's
    /// authorisation. See {_reserve} for `strict`.
    function _checkNewOrder(
        Order calldata order,
        uint256 slot,
        bytes32 previous,
        bytes calldata platformSignature,
        bool strict,
        PlatformAuth memory auth
    ) private view returns (bytes4) {
        if (order.amount == 0) return _fail(strict, abi.encodeWithSelector(ZeroAmount.selector));
        if (order.acceptor == address(0) || order.platform == address(0) || order.beneficiary == address(0)) {
            return _fail(strict, abi.encodeWithSelector(ZeroAddress.selector));
        }
        if (order.beneficiary == address(this)) return _fail(strict, abi.encodeWithSelector(RecipientIsDesk.selector));
        if (order.disputedAt != 0) return _fail(strict, abi.encodeWithSelector(OrderIsDisputed.selector, order.orderId));
        if (block.timestamp >= order.deadline) {
            return _fail(strict, abi.encodeWithSelector(DeadlinePassed.selector, block.timestamp, order.deadline));
        }
        address arbiter = order.arbiter;
        if (arbiter != address(0) && (arbiter == order.acceptor || arbiter == order.platform)) {
            return _fail(strict, abi.encodeWithSelector(ArbiterConflict.selector, arbiter));
        }
        bytes32 actual = _slots[order.acceptor][slot];
        if (actual != previous) {
            return _fail(strict, abi.encodeWithSelector(SlotMismatch.selector, order.acceptor, slot, previous, actual));
        }
        // Stating an open order's hash as `previous` must not overwrite it (and lose its amount).
        if (actual != bytes32(0) && uint256(actual) & _CLOSED_BIT == 0) {
            return _fail(strict, abi.encodeWithSelector(SlotOccupied.selector, order.acceptor, slot));
        }
        if (!_isPlatformAuthorization(order.platform, platformSignature, auth)) {
            return _fail(strict, abi.encodeWithSelector(InvalidPlatformSignature.selector, order.orderId));
        }
        return bytes4(0);
    }

    /// @dev Reverts with `error` when `strict`, else returns its selector.
    function _fail(bool strict, bytes memory error) private pure returns (bytes4) {
        if (strict) {
            assembly ("memory-safe") {
                revert(add(error, 0x20), mload(error))
            }
        }
        return bytes4(error);
    }
}
