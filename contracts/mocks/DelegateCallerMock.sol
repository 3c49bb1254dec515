// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

/// @title DelegateCallerMock
/// @notice Runs another contract's view code in its own context, as a proxy or a clone would: lets tests
/// see that the vault's domain separator names the contract it actually runs as.
contract DelegateCallerMock {
    error DelegateCallFailed(bytes reason);

    function delegateView(address target, bytes calldata data) external returns (bytes memory) {
        (bool success, bytes memory result) = target.delegatecall(data);
        if (!success) revert DelegateCallFailed(result);
        return result;
    }
}
