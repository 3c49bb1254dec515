// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title ERC1271WalletMock
/// @notice Imitates a smart-contract wallet (Safe, Coinbase Smart Wallet, an exchange's custody contract)
/// that signs through EIP-1271: a signature is valid iff it ECDSA-recovers to the wallet's owner EOA.
/// @dev Test-only. The owner can also make the wallet call anything (`execute`), so the wallet can
/// approve tokens, pay invoices and act as a party.
contract ERC1271WalletMock is IERC1271 {
    /// @notice The EOA whose signatures the wallet accepts and who may make it call out.
    address public immutable owner;

    error NotOwner(address caller);

    constructor(address owner_) {
        owner = owner_;
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError error, ) = ECDSA.tryRecover(hash, signature);
        if (error == ECDSA.RecoverError.NoError && recovered == owner) return IERC1271.isValidSignature.selector;
        return 0xffffffff;
    }

    /// @notice Calls `target` with `data` from the wallet; bubbles up a revert.
    function execute(address target, bytes calldata data) external returns (bytes memory) {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        (bool success, bytes memory returnData) = target.call(data);
        if (!success) {
            assembly ("memory-safe") {
                revert(add(returnData, 0x20), mload(returnData))
            }
        }
        return returnData;
    }
}
