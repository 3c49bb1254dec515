// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {InvoiceBook} from "./InvoiceBook.sol";

/// @title SignedActions
/// @notice Signature-authorised twins of every party action, so a relayer can submit them and a party
/// with no TRX or ETH for gas can still act.
/// @dev Each twin takes an {Authorization}: the signer (the party), an unordered nonce, an expiry and
/// the signature over the action's typed data. Nonces are one bit each in a per-signer bitmap (as in
/// Uniswap's Permit2), so signatures can be used in any order and a signer can revoke unused ones.
abstract contract SignedActions is InvoiceBook {
    /// @notice EIP-712 type of a signed release.
    bytes32 public constant RELEASE_TYPEHASH =
        keccak256("Release(bytes32 escrowId,uint256 amount,uint256 nonce,uint256 validBefore)");
    /// @notice EIP-712 type of a signed refund.
    bytes32 public constant REFUND_TYPEHASH =
        keccak256("Refund(bytes32 escrowId,uint256 amount,uint256 nonce,uint256 validBefore)");
    /// @notice EIP-712 type of a signed dispute.
    bytes32 public constant DISPUTE_TYPEHASH = keccak256("Dispute(bytes32 escrowId,uint256 nonce,uint256 validBefore)");
    /// @notice EIP-712 type of a signed resolution.
    bytes32 public constant RESOLVE_TYPEHASH =
        keccak256("Resolve(bytes32 escrowId,uint256 payeeAmount,uint256 nonce,uint256 validBefore)");
    /// @notice EIP-712 type of a signed deadline extension.
    bytes32 public constant EXTEND_DEADLINE_TYPEHASH =
        keccak256("ExtendDeadline(bytes32 escrowId,uint48 newDeadline,uint256 nonce,uint256 validBefore)");
    /// @notice EIP-712 type of a signed invoice cancellation.
    bytes32 public constant CANCEL_INVOICE_TYPEHASH =
        keccak256("CancelInvoice(bytes32 invoiceId,uint256 nonce,uint256 validBefore)");
    /// @notice EIP-712 type of a signed claim of deferred payouts.
    bytes32 public constant CLAIM_TYPEHASH =
        keccak256("Claim(address token,address to,uint256 nonce,uint256 validBefore)");

    /// @notice Used-nonce bitmap: bit `nonce & 0xff` of word `nonce >> 8` is set once the nonce is used.
    mapping(address signer => mapping(uint256 wordPosition => uint256 bits)) public nonceBitmap;

    /// @notice {release} authorised by the payer's (or, when disputed, the arbiter's) signature.
    /// @param escrowId The escrow id.
    /// @param escrow The escrow as last emitted.
    /// @param amount Gross amount to release.
    /// @param auth The party's authorisation.
    function releaseWithSig(bytes32 escrowId, Escrow calldata escrow, uint256 amount, Authorization calldata auth)
        external
    {
        _useAuthorization(keccak256(abi.encode(RELEASE_TYPEHASH, escrowId, amount, auth.nonce, auth.validBefore)), auth);
        _release(escrowId, escrow, amount, auth.signer);
    }

    /// @notice {refund} authorised by the payee's (or, when disputed, the arbiter's) signature.
    /// @param escrowId The escrow id.
    /// @param escrow The escrow as last emitted.
    /// @param amount Amount to refund.
    /// @param auth The party's authorisation.
    function refundWithSig(bytes32 escrowId, Escrow calldata escrow, uint256 amount, Authorization calldata auth)
        external
    {
        _useAuthorization(keccak256(abi.encode(REFUND_TYPEHASH, escrowId, amount, auth.nonce, auth.validBefore)), auth);
        _refund(escrowId, escrow, amount, auth.signer);
    }

    /// @notice {dispute} authorised by the payer's or payee's signature.
    /// @param escrowId The escrow id.
    /// @param escrow The escrow as last emitted.
    /// @param auth The party's authorisation.
    function disputeWithSig(bytes32 escrowId, Escrow calldata escrow, Authorization calldata auth) external {
        _useAuthorization(keccak256(abi.encode(DISPUTE_TYPEHASH, escrowId, auth.nonce, auth.validBefore)), auth);
        _dispute(escrowId, escrow, auth.signer);
    }

    /// @notice {resolve} authorised by the arbiter's signature.
    /// @param escrowId The escrow id.
    /// @param escrow The escrow as last emitted.
    /// @param payeeAmount Gross amount for the payee.
    /// @param auth The arbiter's authorisation.
    function resolveWithSig(
        bytes32 escrowId,
        Escrow calldata escrow,
        uint256 payeeAmount,
        Authorization calldata auth
    ) external {
        _useAuthorization(
            keccak256(abi.encode(RESOLVE_TYPEHASH, escrowId, payeeAmount, auth.nonce, auth.validBefore)),
            auth
        );
        _resolve(escrowId, escrow, payeeAmount, auth.signer);
    }

    /// @notice {extendDeadline} authorised by the favoured party's signature.
    /// @param escrowId The escrow id.
    /// @param escrow The escrow as last emitted.
    /// @param newDeadline The new deadline.
    /// @param auth The favoured party's authorisation.
    function extendDeadlineWithSig(
        bytes32 escrowId,
        Escrow calldata escrow,
        uint48 newDeadline,
        Authorization calldata auth
    ) external {
        _useAuthorization(
            keccak256(abi.encode(EXTEND_DEADLINE_TYPEHASH, escrowId, newDeadline, auth.nonce, auth.validBefore)),
            auth
        );
        _extendDeadline(escrowId, escrow, newDeadline, auth.signer);
    }

    /// @notice {cancelInvoice} authorised by the merchant's or its registered signer's signature.
    /// @param invoice The invoice as signed.
    /// @param auth The merchant's (or signer's) authorisation.
    function cancelInvoiceWithSig(Invoice calldata invoice, Authorization calldata auth) external {
        _useAuthorization(
            keccak256(abi.encode(CANCEL_INVOICE_TYPEHASH, hashInvoice(invoice), auth.nonce, auth.validBefore)),
            auth
        );
        _cancelInvoice(invoice, auth.signer);
    }

    /// @notice {claim} authorised by the recipient's signature: how a recipient with no gas redirects a
    /// deferred payout.
    /// @param token The token of the deferred payouts.
    /// @param to Receives the tokens.
    /// @param auth The recipient's authorisation.
    function claimWithSig(address token, address to, Authorization calldata auth) external {
        _useAuthorization(keccak256(abi.encode(CLAIM_TYPEHASH, token, to, auth.nonce, auth.validBefore)), auth);
        _claim(auth.signer, token, to);
    }

    /// @notice Marks the caller's nonces in `mask` of bitmap word `wordPosition` used, revoking any
    /// unsubmitted signature that carries them.
    /// @param wordPosition The bitmap word (`nonce >> 8`).
    /// @param mask The bits to set (bit `nonce & 0xff`).
    function invalidateNonces(uint256 wordPosition, uint256 mask) external {
        nonceBitmap[msg.sender][wordPosition] |= mask;
        emit NoncesInvalidated(msg.sender, wordPosition, mask);
    }

    /// @dev Checks expiry, spends the nonce and verifies the signature over `structHash`.
    function _useAuthorization(bytes32 structHash, Authorization calldata auth) private {
        if (block.timestamp >= auth.validBefore) revert AuthorizationExpired(block.timestamp, auth.validBefore);
        _useNonce(auth.signer, auth.nonce);
        if (!SignatureChecker.isValidSignatureNow(auth.signer, _hashTypedData(structHash), auth.signature)) {
            revert InvalidAuthorizationSignature(auth.signer);
        }
    }

    function _useNonce(address signer, uint256 nonce) private {
        uint256 bit = 1 << (nonce & 0xff);
        uint256 bits = nonceBitmap[signer][nonce >> 8];
        if (bits & bit != 0) revert NonceAlreadyUsed(signer, nonce);
        nonceBitmap[signer][nonce >> 8] = bits | bit;
    }
}
