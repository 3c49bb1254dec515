// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {AcceptorLiquidity} from "./AcceptorLiquidity.sol";
import {TypedDataDomain} from "./TypedDataDomain.sol";

/// @title AcceptorReservationAuth
/// @notice Who may open an order: the platform or its vault invoice signer, by an EIP-712 signature over
/// one reservation ({reserve}, {openWithdrawal}) or over a whole batch ({reserveBatch}), or by sending the
/// call itself with no signature.
/// @dev The typed-data hashes read the order, slot and previous straight from calldata. A batch's
/// signature is recovered once and its answer kept per platform (see {PlatformAuth}), which is what
/// keeps a batched reservation under its gas target (docs/decisions/011-acceptor-desk.md).
abstract contract AcceptorReservationAuth is AcceptorLiquidity, TypedDataDomain {
    /// @notice EIP-712 type of a reservation (both kinds), signed by the platform or its invoice signer.
    bytes32 public constant RESERVATION_TYPEHASH = keccak256(
        "Reservation(bytes32 orderId,uint8 kind,address token,address acceptor,address platform,address beneficiary,"
        "address arbiter,uint256 amount,uint48 deadline,uint48 disputedAt,uint256 slot,bytes32 previous)"
    );

    /// @notice EIP-712 type of a batch of reservations signed once: the array's items are hashed as
    /// {RESERVATION_TYPEHASH} structs, so each item's slot and previous content stay covered.
    bytes32 public constant RESERVATION_BATCH_TYPEHASH = keccak256(
        "ReservationBatch(Reservation[] reservations,uint256 validBefore)"
        "Reservation(bytes32 orderId,uint8 kind,address token,address acceptor,address platform,address beneficiary,"
        "address arbiter,uint256 amount,uint48 deadline,uint48 disputedAt,uint256 slot,bytes32 previous)"
    );

    /// @dev The reservation's fields: the order's ten words, then `slot` and `previous`.
    uint256 private constant _RESERVATION_ENCODED_SIZE = 12 * 32;
    /// @dev r, s and v.
    uint256 private constant _ECDSA_SIGNATURE_LENGTH = 65;

    /// @dev One signature (or the caller) checked against the platforms of a reservation or a batch: the
    /// ECDSA recovery runs once, and the answer for the last platform is kept, so a batch of one platform's
    /// reservations asks the vault for the invoice signer once.
    struct PlatformAuth {
        bytes32 digest; // what the signature signs; zero without a signature
        address recovered; // the signature's ECDSA signer; zero if none
        address platform; // the last platform checked; zero before the first
        bool authorized; // whether the signature (or caller) speaks for `platform`
    }

    /// @dev The authorisation of a single {reserve} or {openWithdrawal}: the signature over its Reservation.
    function _singleAuth(
        Order calldata order,
        bytes calldata signature
    ) internal view returns (PlatformAuth memory auth) {
        if (signature.length != 0) auth = _newAuth(_hashTypedData(_reservationStructHash(order)), signature);
    }

    /// @dev Runs the ECDSA recovery of a 65-byte `signature` over `digest` once; longer signatures are left
    /// to EIP-1271.
    function _newAuth(bytes32 digest, bytes calldata signature) internal pure returns (PlatformAuth memory auth) {
        auth.digest = digest;
        if (signature.length != _ECDSA_SIGNATURE_LENGTH) return auth;
        // Read r, s, v straight from calldata: no copy of the signature into memory.
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := calldataload(signature.offset)
            s := calldataload(add(signature.offset, 0x20))
            v := byte(0, calldataload(add(signature.offset, 0x40)))
        }
        (address recovered, ECDSA.RecoverError error, ) = ECDSA.tryRecover(digest, v, r, s);
        if (error == ECDSA.RecoverError.NoError) auth.recovered = recovered;
    }

    /// @dev True when the caller is the platform side and gave no signature, or `signature` over
    /// `auth.digest` is the platform's or its invoice signer's (EOA or EIP-1271). EIP-1271 is tried only for
    /// contracts. The answer for the last platform is reused (`platform` is never zero here).
    function _isPlatformAuthorization(
        address platform,
        bytes calldata signature,
        PlatformAuth memory auth
    ) internal view returns (bool authorized) {
        if (auth.platform == platform) return auth.authorized;
        if (signature.length == 0) {
            authorized = msg.sender == platform || msg.sender == vault.invoiceSigner(platform);
        } else if (auth.recovered == platform && platform != address(0)) {
            authorized = true;
        } else {
            authorized = _isSignerAuthorization(platform, signature, auth);
        }
        auth.platform = platform;
        auth.authorized = authorized;
    }

    /// @dev The signature is the platform's invoice signer's, or a contract platform's EIP-1271 one.
    function _isSignerAuthorization(
        address platform,
        bytes calldata signature,
        PlatformAuth memory auth
    ) private view returns (bool) {
        address signer = vault.invoiceSigner(platform);
        if (signer != address(0)) {
            if (auth.recovered == signer) return true;
            if (signer.code.length != 0 && SignatureChecker.isValidERC1271SignatureNow(signer, auth.digest, signature)) {
                return true;
            }
        }
        return platform.code.length != 0 && SignatureChecker.isValidERC1271SignatureNow(platform, auth.digest, signature);
    }

    /// @dev hashStruct(ReservationBatch): the items' Reservation hashes, concatenated and hashed as
    /// EIP-712 encodes an array of structs, then the validity bound.
    function _batchStructHash(ReserveCall[] calldata calls, uint256 validBefore) internal pure returns (bytes32) {
        bytes32[] memory hashes = new bytes32[](calls.length);
        for (uint256 i = 0; i < calls.length; ++i) {
            hashes[i] = _reservationStructHash(calls[i].order);
        }
        bytes32 itemsHash;
        assembly ("memory-safe") {
            itemsHash := keccak256(add(hashes, 0x20), mul(mload(hashes), 0x20))
        }
        return keccak256(abi.encode(RESERVATION_BATCH_TYPEHASH, itemsHash, validBefore));
    }

    /// @dev keccak256(abi.encode(RESERVATION_TYPEHASH, order, slot, previous)), read straight from calldata.
    /// IMPORTANT: relies on `slot` and `previous` following `order` in calldata, which holds for both
    /// {reserve}'s and {openWithdrawal}'s arguments and for a {ReserveCall}.
    function _reservationStructHash(Order calldata order) private pure returns (bytes32 structHash) {
        bytes32 typehash = RESERVATION_TYPEHASH;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typehash)
            calldatacopy(add(ptr, 0x20), order, _RESERVATION_ENCODED_SIZE)
            structHash := keccak256(ptr, add(0x20, _RESERVATION_ENCODED_SIZE))
        }
    }
}
