// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

/// @title DepositAddress
/// @notice CREATE2 address derivation for per-invoice deposit addresses, on EVM chains and on TRON,
/// and the init code of the tiny forwarder deployed at each of them.
/// @dev EVM chains derive a CREATE2 address as keccak256(0xff ++ deployer ++ salt ++ keccak256(initCode))[12:].
/// TRON's TVM hashes the deployer as a 21-byte TRON address, whose first byte is 0x41, so there the
/// prefix byte is 0x41 instead of 0xff (java-tron `WalletUtil.generateContractAddress2`). The prefix is
/// therefore an input here, never inferred from the chain id: a local EVM node run under TRON's chain id
/// still uses 0xff.
library DepositAddress {
    /// @notice CREATE2 prefix byte on EVM chains (EIP-1014).
    bytes1 internal constant EVM_PREFIX = 0xff;
    /// @notice CREATE2 prefix byte on TRON: the first byte of every 21-byte TRON address.
    bytes1 internal constant TRON_PREFIX = 0x41;

    /// @dev The forwarder's init code is `_INIT_HEAD ++ deployer ++ _INIT_TAIL`: 10 + 20 + 35 = 65 bytes.
    ///
    /// Init (9 bytes): copy the 56-byte runtime that follows and return it.
    ///   60 38 PUSH1 56 | 80 DUP1 | 60 09 PUSH1 9 | 3d RETURNDATASIZE | 39 CODECOPY | 3d | f3 RETURN
    /// Runtime (56 bytes), calldata = target (word) ++ value (word) ++ payload:
    ///   73 <deployer> PUSH20 | 33 CALLER | 18 XOR | 60 33 PUSH1 fail | 57 JUMPI   (caller must be the deployer)
    ///   60 40 | 36 CALLDATASIZE | 03 SUB | 80 DUP1 | 60 40 | 3d | 37 CALLDATACOPY (payload to memory 0)
    ///   3d 3d 91 SWAP2 3d | 60 20 35 CALLDATALOAD (value) | 3d 35 (target) | 5a GAS | f1 CALL
    ///   15 ISZERO | 60 33 | 57 JUMPI | 00 STOP
    ///   fail: 5b JUMPDEST | 60 00 | 80 | fd REVERT(0, 0)
    /// Return data is neither copied nor returned: callers check token moves by balance, as USDT requires.
    bytes10 private constant _INIT_HEAD = 0x60388060093d393df373;
    bytes internal constant _INIT_TAIL = hex"3318603357604036038060403d373d3d913d6020353d355af115603357005b600080fd";

    /// @notice The CREATE2 address of `initCodeHash` deployed by `deployer` with `salt`, on a chain whose
    /// CREATE2 prefix byte is `prefix` (0xff on EVM chains, 0x41 on TRON).
    /// @param prefix The chain's CREATE2 prefix byte.
    /// @param deployer The contract that executes CREATE2 (20 bytes, without TRON's 0x41).
    /// @param salt The CREATE2 salt.
    /// @param initCodeHash keccak256 of the init code.
    /// @return The 20-byte address (on TRON, prepend 0x41 for the 21-byte form).
    function compute(bytes1 prefix, address deployer, bytes32 salt, bytes32 initCodeHash) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encodePacked(prefix, deployer, salt, initCodeHash)))));
    }

    /// @notice The init code of a forwarder that obeys only `deployer`.
    /// @param deployer The only address the forwarder accepts calls from.
    function forwarderInitCode(address deployer) internal pure returns (bytes memory) {
        return abi.encodePacked(_INIT_HEAD, deployer, _INIT_TAIL);
    }
}
