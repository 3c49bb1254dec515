// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {UsdtLikeBase} from "./UsdtLikeBase.sol";

/// @title EthereumUsdtMock
/// @notice Behaves like Tether on Ethereum: `transfer`, `transferFrom` and `approve` return nothing.
contract EthereumUsdtMock is UsdtLikeBase {
    function transfer(address to, uint256 value) external {
        _move(msg.sender, to, value);
    }

    function transferFrom(address from, address to, uint256 value) external {
        _spendAllowance(from, msg.sender, value);
        _move(from, to, value);
    }

    function approve(address spender, uint256 value) external {
        _approve(msg.sender, spender, value);
    }
}
