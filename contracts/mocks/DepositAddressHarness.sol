// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {DepositAddress} from "../libraries/DepositAddress.sol";

/// @title DepositAddressHarness
/// @notice Test-only: exposes the {DepositAddress} library's internal functions and deploys its
/// forwarder, so tests can check the derivation against worked examples and the chain itself.
contract DepositAddressHarness {
    /// @notice {DepositAddress-compute}.
    function compute(bytes1 prefix, address deployer, bytes32 salt, bytes32 initCodeHash) external pure returns (address) {
        return DepositAddress.compute(prefix, deployer, salt, initCodeHash);
    }

    /// @notice {DepositAddress-forwarderInitCode}.
    function forwarderInitCode(address deployer) external pure returns (bytes memory) {
        return DepositAddress.forwarderInitCode(deployer);
    }

    /// @notice Deploys a forwarder that obeys this harness, with `salt`; returns its address.
    function deployForwarder(bytes32 salt) external returns (address deployed) {
        bytes memory initCode = DepositAddress.forwarderInitCode(address(this));
        assembly ("memory-safe") {
            deployed := create2(0, add(initCode, 0x20), mload(initCode), salt)
        }
    }

    /// @notice Has the forwarder at `forwarder` call `target` with `value` and `payload`; returns its success.
    function forward(address forwarder, address target, uint256 value, bytes calldata payload) external returns (bool success) {
        (success, ) = forwarder.call(abi.encodePacked(uint256(uint160(target)), value, payload));
    }
}
