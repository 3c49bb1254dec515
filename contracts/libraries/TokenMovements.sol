// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title TokenMovements
/// @notice Moves USDT-like tokens whose return values cannot be trusted.
/// @dev USDT on Ethereum returns nothing from `transfer`, `transferFrom` and `approve`; USDT on TRON
/// returns `false` from a `transfer` that succeeded. Return data is therefore ignored everywhere:
/// money coming in is checked by the receiver's balance delta, money going out by the call not
/// reverting (allowlisted tokens must revert on failure, see docs/security.md).
library TokenMovements {
    /// @dev Gas held back from a payout's token call so that a starved call can still be reported.
    uint256 private constant _PUSH_GAS_RESERVE = 5_000;

    /// @notice The token delivered less than asked: fee-on-transfer, or a switched-on USDT fee.
    error TokenMovementsShortfall(address token, uint256 expected, uint256 received);

    /// @notice The `transferFrom` call reverted (allowance, balance or blacklist).
    error TokenMovementsPullFailed(address token, address from);

    /// @notice The `transfer` call reverted where the caller cannot defer the payout.
    error TokenMovementsPushFailed(address token, address to);

    /// @notice The token call ran out of the gas the caller forwarded; retry with more gas.
    error TokenMovementsOutOfGas(address token);

    /// @notice Moves exactly `amount` of `token` from `from` to `to`, checked by `to`'s balance delta.
    /// @dev Reverts with {TokenMovementsShortfall} when `to` received less than `amount`, so a
    /// fee-charging token never opens an under-funded escrow and the payer loses nothing.
    /// CAUTION: a token that re-enters between the two balance reads could make one delta count two
    /// deposits; callers must hold a reentrancy lock around this call.
    function pullExact(address token, address from, address to, uint256 amount) internal {
        uint256 balanceBefore = IERC20(token).balanceOf(to);
        bool success = _call(token, abi.encodeCall(IERC20.transferFrom, (from, to, amount)), gasleft());
        if (!success) revert TokenMovementsPullFailed(token, from);
        uint256 balanceAfter = IERC20(token).balanceOf(to);
        // A balance that fell (something paid out of `to` meanwhile) counts as nothing received.
        uint256 received = balanceAfter > balanceBefore ? balanceAfter - balanceBefore : 0;
        if (received < amount) revert TokenMovementsShortfall(token, amount, received);
    }

    /// @notice Sends `amount` of `token` from this contract to `to`; returns false if the token reverted.
    /// @dev A false result lets the caller credit the amount as a claimable balance instead of
    /// blocking everyone else's funds behind one blacklisted or reverting recipient. A failure caused
    /// by the caller forwarding too little gas reverts with {TokenMovementsOutOfGas} instead, so nobody
    /// can force a deferral.
    function tryPush(address token, address to, uint256 amount) internal returns (bool success) {
        // A call to an account without code would "succeed" without moving anything.
        if (token.code.length == 0) return false;
        if (gasleft() < _PUSH_GAS_RESERVE) revert TokenMovementsOutOfGas(token);
        uint256 gasBefore = gasleft();
        success = _call(token, abi.encodeCall(IERC20.transfer, (to, amount)), gasBefore - _PUSH_GAS_RESERVE);
        // EIP-150 leaves the caller 1/64 of its gas when the callee runs out, plus the reserve held back
        // here; having no more than that after a failure means the token call starved, not that the
        // recipient is blocked. The reserve guarantees this revert itself can still be paid for.
        if (!success && gasleft() <= gasBefore / 63 + _PUSH_GAS_RESERVE) revert TokenMovementsOutOfGas(token);
    }

    /// @dev Calls `token` with `data`, ignoring return data (see the library notes) and copying none of
    /// it, so a hostile token cannot make the caller pay for a huge return buffer. Callers make sure
    /// `token` has code: {pullExact} through its `balanceOf` call, {tryPush} explicitly.
    function _call(address token, bytes memory data, uint256 gasLimit) private returns (bool success) {
        assembly ("memory-safe") {
            success := call(gasLimit, token, 0, add(data, 0x20), mload(data), 0, 0)
        }
    }
}
