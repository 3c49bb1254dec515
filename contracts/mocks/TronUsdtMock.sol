// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {UsdtLikeBase} from "./UsdtLikeBase.sol";

/// @title TronUsdtMock
/// @notice Behaves like Tether's TRC20 on TRON: `transfer` moves the funds and returns `false`;
/// `transferFrom` and `approve` return `true`.
contract TronUsdtMock is UsdtLikeBase {
    function transfer(address to, uint256 value) external returns (bool) {
        _move(msg.sender, to, value);
        // TRON USDT's transfer never sets its return value, so callers read false after a success.
        return false;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        _spendAllowance(from, msg.sender, value);
        _move(from, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        _approve(msg.sender, spender, value);
        return true;
    }
}
