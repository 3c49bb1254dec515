// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

/// @title TypedDataDomain
/// @notice EIP-712 domain that also satisfies TRON's TIP-712.
/// @dev Same as OpenZeppelin's EIP712 except for the chain id, which is `block.chainid & 0xffffffff`.
/// TIP-712 masks TRON's chain id to 32 bits (mainnet 728126428, Nile 3448148188) and wallets such as
/// TronLink sign with the masked value. Every EVM chain this product targets has an id below 2^32, where
/// the mask changes nothing, so one bytecode serves both. TIP-712 also encodes addresses without the
/// 0x41 prefix, which is what Solidity's 20-byte `address` already is.
/// IMPORTANT: chains whose id is 2^32 or more are not supported: wallets there would sign the full id.
abstract contract TypedDataDomain is IERC5267 {
    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    /// @dev TIP-712's mask: the low 32 bits of the chain id.
    uint256 private constant _CHAIN_ID_MASK = 0xffffffff;

    bytes32 private immutable _hashedName;
    bytes32 private immutable _hashedVersion;
    uint256 private immutable _cachedChainId;
    bytes32 private immutable _cachedDomainSeparator;
    address private immutable _cachedThis;

    string private _name;
    string private _version;

    /// @param name_ The signing domain name shown by wallets.
    /// @param version_ The signing domain version.
    constructor(string memory name_, string memory version_) {
        _name = name_;
        _version = version_;
        _hashedName = keccak256(bytes(name_));
        _hashedVersion = keccak256(bytes(version_));
        _cachedChainId = _maskedChainId();
        _cachedDomainSeparator = _buildDomainSeparator();
        _cachedThis = address(this);
    }

    /// @notice The EIP-712 domain separator for the current chain.
    /// @dev Rebuilt when the chain id changes (after a fork), as in OpenZeppelin's EIP712.
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparator();
    }

    /// @inheritdoc IERC5267
    function eip712Domain()
        external
        view
        returns (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        )
    {
        return (hex"0f", _name, _version, _maskedChainId(), address(this), bytes32(0), new uint256[](0));
    }

    /// @dev The EIP-712 digest of `structHash` in this domain.
    function _hashTypedData(bytes32 structHash) internal view returns (bytes32) {
        return MessageHashUtils.toTypedDataHash(_domainSeparator(), structHash);
    }

    function _domainSeparator() private view returns (bytes32) {
        if (address(this) == _cachedThis && _maskedChainId() == _cachedChainId) {
            return _cachedDomainSeparator;
        }
        return _buildDomainSeparator();
    }

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(_DOMAIN_TYPEHASH, _hashedName, _hashedVersion, _maskedChainId(), address(this)));
    }

    function _maskedChainId() private view returns (uint256) {
        return block.chainid & _CHAIN_ID_MASK;
    }
}
