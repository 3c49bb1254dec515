// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title FeeOnTransferToken
/// @notice Imitates deflationary and "tax" tokens (and Tether with its fee switched on): every transfer
/// delivers `value - fee` and the fee is burned or diverted to a collector.
/// @dev Test-only. `feeBps` defaults to 1% and can be changed by anyone; mints and burns pay no fee.
contract FeeOnTransferToken is ERC20 {
    /// @notice Fee taken from every transfer, in basis points.
    uint256 public feeBps = 100;

    /// @notice Receives the fee; zero burns it.
    address public feeCollector;

    constructor() ERC20("Fee On Transfer (test)", "FOT") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mints `amount` to `to`; anyone may call (test token).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Sets the fee and where it goes (zero burns it).
    function setFee(uint256 newFeeBps, address newFeeCollector) external {
        feeBps = newFeeBps;
        feeCollector = newFeeCollector;
    }

    /// @dev Takes the fee out of every transfer between two accounts.
    function _update(address from, address to, uint256 value) internal override {
        uint256 fee = from == address(0) || to == address(0) ? 0 : (value * feeBps) / 10_000;
        super._update(from, to, value - fee);
        if (fee != 0) super._update(from, feeCollector, fee);
    }
}
