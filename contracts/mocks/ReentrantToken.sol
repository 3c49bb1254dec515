// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantToken
/// @notice Imitates tokens that hand control to someone else in the middle of a transfer (ERC777
/// `tokensToSend`/`tokensReceived` hooks, ERC1363 callbacks, or a malicious upgradeable token), to
/// attempt re-entry into the vault.
/// @dev Test-only. Once armed, the next `transfer` or `transferFrom` (as chosen) calls `reentryTarget`
/// with `reentryData` exactly once, records the outcome, and then moves the funds (unless `skipMove` is set, which
/// imitates a hostile token that lets the re-entered call stand in for its own transfer). With
/// `bubble` set a failed re-entry reverts the transfer with the inner revert data.
contract ReentrantToken is ERC20 {
    /// @notice Which token call triggers the re-entry.
    enum Trigger {
        None,
        Transfer,
        TransferFrom
    }

    /// @notice The armed trigger; reset to None once fired. (Not named `target`: that clashes with ethers.)
    Trigger public trigger;
    address public reentryTarget;
    bytes public reentryData;
    bool public skipMove;
    bool public bubble;

    /// @notice Whether the re-entry happened, and its outcome.
    bool public reentered;
    bool public reentrySucceeded;
    bytes public reentryReturnData;

    constructor() ERC20("Reentrant (test)", "REENTER") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mints `amount` to `to`; anyone may call (test token).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Lets this token contract approve `spender`, so a re-entered call can pull from it.
    function approveFromToken(address spender, uint256 value) external {
        _approve(address(this), spender, value);
    }

    /// @notice Arms one re-entry: the next call of kind `trigger_` calls `target_` with `data_`.
    function arm(Trigger trigger_, address target_, bytes calldata data_, bool skipMove_, bool bubble_) external {
        trigger = trigger_;
        reentryTarget = target_;
        reentryData = data_;
        skipMove = skipMove_;
        bubble = bubble_;
        reentered = false;
        reentrySucceeded = false;
        delete reentryReturnData;
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        if (_reenter(Trigger.Transfer)) return true;
        return super.transfer(to, value);
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (_reenter(Trigger.TransferFrom)) return true;
        return super.transferFrom(from, to, value);
    }

    /// @dev Makes the armed call if `kind` matches; returns true when the caller must skip its move.
    function _reenter(Trigger kind) private returns (bool skip) {
        if (trigger != kind) return false;
        trigger = Trigger.None; // once
        reentered = true;
        (bool success, bytes memory returnData) = reentryTarget.call(reentryData);
        reentrySucceeded = success;
        reentryReturnData = returnData;
        if (!success && bubble) {
            assembly ("memory-safe") {
                revert(add(returnData, 0x20), mload(returnData))
            }
        }
        return skipMove;
    }
}
