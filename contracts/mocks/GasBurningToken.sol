// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title GasBurningToken
/// @notice Imitates a token whose `transfer` is expensive (heavy hooks, storage-hungry bookkeeping, or
/// an upgrade that made it so), so that a caller forwarding too little gas makes the token call run out
/// of gas: the situation TokenMovements.tryPush must not mistake for a blocked recipient.
/// @dev Test-only. While `gasToBurn` is non-zero, `transfer` first burns at least that much gas;
/// `type(uint256).max` burns everything it is given. Gas is burned by growing memory (its cost is
/// quadratic), which takes few EVM steps and keeps Hardhat's tracing of the failing call fast.
contract GasBurningToken is ERC20 {
    /// @notice Gas each `transfer` burns before moving funds; zero switches the burning off.
    uint256 public gasToBurn;

    /// @dev Memory grown per burning step.
    uint256 private constant _BURN_STEP_BYTES = 16 * 1024;

    constructor() ERC20("Gas Burning (test)", "BURN") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mints `amount` to `to`; anyone may call (test token).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Sets how much gas each `transfer` burns (zero: none).
    function setGasToBurn(uint256 amount) external {
        gasToBurn = amount;
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        uint256 toBurn = gasToBurn;
        if (toBurn != 0) {
            uint256 start = gasleft();
            uint256 memoryEnd = 0;
            // Burns gas until `toBurn` has been spent; runs out of gas first when given less.
            while (start - gasleft() < toBurn) {
                memoryEnd += _BURN_STEP_BYTES;
                assembly ("memory-safe") {
                    mstore(memoryEnd, 1)
                }
            }
        }
        return super.transfer(to, value);
    }
}
