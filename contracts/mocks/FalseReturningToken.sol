// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title FalseReturningToken
/// @notice Imitates pre-OpenZeppelin tokens (BNB on Ethereum, early ZRX-style tokens) that report a
/// failed transfer by returning `false` instead of reverting.
/// @dev Test-only. While `failing` is on, `transfer` and `transferFrom` move nothing and return false;
/// while off it is a plain ERC20.
contract FalseReturningToken is ERC20 {
    /// @notice Whether transfers fail (silently, by returning false).
    bool public failing;

    constructor() ERC20("False Returning (test)", "FALSE") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mints `amount` to `to`; anyone may call (test token).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Switches the silent failure on or off.
    function setFailing(bool on) external {
        failing = on;
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        if (failing) return false;
        return super.transfer(to, value);
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (failing) return false;
        return super.transferFrom(from, to, value);
    }
}
