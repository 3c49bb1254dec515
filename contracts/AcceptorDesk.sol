// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {AcceptorLiquidity} from "./AcceptorLiquidity.sol";
import {AcceptorOrderOpening} from "./AcceptorOrderOpening.sol";
import {TypedDataDomain} from "./TypedDataDomain.sol";
import {IAcceptorDeskVault} from "./interfaces/IAcceptorDeskVault.sol";

/// @title AcceptorDesk
/// @notice Peer-to-peer (P2P) acceptor flows: acceptors keep USDT liquidity here; a platform's user
/// deposits by having part of an acceptor's liquidity reserved, paying the acceptor in fiat, and receiving
/// the reserved USDT once the acceptor confirms; a user withdraws the other way round.
/// @dev Immutable, no owner, deployed next to one {EscrowVault} whose allowlist, deposit pause and invoice
/// signers it reads. Kept out of the vault: the vault is close to the EIP-170 size limit, and a reservation
/// here costs a fraction of opening a vault escrow (docs/decisions/011-acceptor-desk.md). The parts:
/// {AcceptorLiquidity} (free balances, platform trust, deferred payouts), {AcceptorReservationAuth} (the
/// platform's signature over a reservation or a batch), {AcceptorOrders} (orders in slots and the actions
/// on open ones), {AcceptorOrderOpening} (reservations and withdrawal orders) and, here, the
/// signature-authorised twins of every party action (EIP-712 on EVM chains, TIP-712 on TRON through
/// {TypedDataDomain}), with a Permit2-style nonce bitmap as the vault's {SignedActions}.
contract AcceptorDesk is AcceptorOrderOpening {
    /// @notice The EIP-712 domain name wallets show when signing for the desk.
    string public constant DOMAIN_NAME = "AcceptorDesk";
    /// @notice The EIP-712 domain version.
    string public constant DOMAIN_VERSION = "1";

    /// @notice EIP-712 type of a signed confirm.
    bytes32 public constant CONFIRM_TYPEHASH = keccak256(
        "Confirm(bytes32 orderId,address acceptor,uint256 slot,uint256 nonce,uint256 validBefore)"
    );
    /// @notice EIP-712 type of a signed cancel.
    bytes32 public constant CANCEL_TYPEHASH = keccak256(
        "Cancel(bytes32 orderId,address acceptor,uint256 slot,uint256 nonce,uint256 validBefore)"
    );
    /// @notice EIP-712 type of a signed dispute.
    bytes32 public constant DISPUTE_TYPEHASH = keccak256(
        "Dispute(bytes32 orderId,address acceptor,uint256 slot,uint256 nonce,uint256 validBefore)"
    );
    /// @notice EIP-712 type of a signed resolution.
    bytes32 public constant RESOLVE_TYPEHASH = keccak256(
        "Resolve(bytes32 orderId,address acceptor,uint256 slot,uint256 payeeAmount,uint256 nonce,uint256 validBefore)"
    );
    /// @notice EIP-712 type of a signed deadline extension.
    bytes32 public constant EXTEND_DEADLINE_TYPEHASH = keccak256(
        "ExtendDeadline(bytes32 orderId,address acceptor,uint256 slot,uint48 newDeadline,uint256 nonce,uint256 validBefore)"
    );
    /// @notice EIP-712 type of a signed liquidity deposit.
    bytes32 public constant DEPOSIT_LIQUIDITY_TYPEHASH = keccak256(
        "DepositLiquidity(address token,uint256 amount,uint256 nonce,uint256 validBefore)"
    );
    /// @notice EIP-712 type of a signed liquidity withdrawal.
    bytes32 public constant WITHDRAW_LIQUIDITY_TYPEHASH = keccak256(
        "WithdrawLiquidity(address token,uint256 amount,address to,uint256 nonce,uint256 validBefore)"
    );
    /// @notice EIP-712 type of a signed change of platform trust.
    bytes32 public constant TRUST_PLATFORM_TYPEHASH = keccak256(
        "TrustPlatform(address platform,bool trusted,uint256 nonce,uint256 validBefore)"
    );
    /// @notice EIP-712 type of a signed claim of deferred payouts.
    bytes32 public constant CLAIM_TYPEHASH = keccak256(
        "Claim(address token,address to,uint256 nonce,uint256 validBefore)"
    );

    /// @dev A nonce's bit within its bitmap word: the low eight bits.
    uint256 private constant _NONCE_BIT_MASK = 0xff;
    /// @dev A nonce's bitmap word: the remaining bits.
    uint256 private constant _NONCE_WORD_SHIFT = 8;

    /// @notice Used-nonce bitmap: bit `nonce & 0xff` of word `nonce >> 8` is set once the nonce is used.
    mapping(address signer => mapping(uint256 wordPosition => uint256 bits)) public nonceBitmap;

    /// @param vault_ The vault whose allowlist, deposit pause and invoice signers the desk follows.
    constructor(IAcceptorDeskVault vault_) AcceptorLiquidity(vault_) TypedDataDomain(DOMAIN_NAME, DOMAIN_VERSION) {}

    // ---------------------------------------------------------------- order actions

    /// @notice {confirm} authorised by the payer side's signature.
    /// @param order The order as last emitted.
    /// @param slot Its slot.
    /// @param auth The acceptor's (Deposit) or platform's or its signer's (Withdrawal) authorisation.
    function confirmWithSig(Order calldata order, uint256 slot, Authorization calldata auth) external {
        _useAuthorization(_orderActionHash(CONFIRM_TYPEHASH, order, slot, auth), auth);
        _confirm(order, slot, auth.signer);
    }

    /// @notice {cancel} authorised by the payee side's signature.
    /// @param order The order as last emitted.
    /// @param slot Its slot.
    /// @param auth The platform's or its signer's (Deposit) or acceptor's (Withdrawal) authorisation.
    function cancelWithSig(Order calldata order, uint256 slot, Authorization calldata auth) external {
        _useAuthorization(_orderActionHash(CANCEL_TYPEHASH, order, slot, auth), auth);
        _cancel(order, slot, auth.signer);
    }

    /// @notice {dispute} authorised by the payee side's signature.
    /// @param order The order as last emitted.
    /// @param slot Its slot.
    /// @param auth The payee side's authorisation.
    function disputeWithSig(Order calldata order, uint256 slot, Authorization calldata auth) external {
        _useAuthorization(_orderActionHash(DISPUTE_TYPEHASH, order, slot, auth), auth);
        _dispute(order, slot, auth.signer);
    }

    /// @notice {resolve} authorised by the arbiter's signature.
    /// @param order The order as last emitted.
    /// @param slot Its slot.
    /// @param payeeAmount Amount for the payee side.
    /// @param auth The arbiter's authorisation.
    function resolveWithSig(
        Order calldata order,
        uint256 slot,
        uint256 payeeAmount,
        Authorization calldata auth
    ) external {
        bytes32 structHash = keccak256(
            abi.encode(
                RESOLVE_TYPEHASH,
                order.orderId,
                order.acceptor,
                slot,
                payeeAmount,
                auth.nonce,
                auth.validBefore
            )
        );
        _useAuthorization(structHash, auth);
        _resolve(order, slot, payeeAmount, auth.signer);
    }

    /// @notice {extendDeadline} authorised by the payer side's signature.
    /// @param order The order as last emitted.
    /// @param slot Its slot.
    /// @param newDeadline The new deadline.
    /// @param auth The payer side's authorisation.
    function extendDeadlineWithSig(
        Order calldata order,
        uint256 slot,
        uint48 newDeadline,
        Authorization calldata auth
    ) external {
        bytes32 structHash = keccak256(
            abi.encode(
                EXTEND_DEADLINE_TYPEHASH,
                order.orderId,
                order.acceptor,
                slot,
                newDeadline,
                auth.nonce,
                auth.validBefore
            )
        );
        _useAuthorization(structHash, auth);
        _extendDeadline(order, slot, newDeadline, auth.signer);
    }

    // ---------------------------------------------------------------- acceptor and recipient actions

    /// @notice {depositLiquidity} authorised by the acceptor's signature: pulls from the signer.
    /// @param token An allowlisted token.
    /// @param amount Amount to add.
    /// @param auth The acceptor's authorisation.
    function depositLiquidityWithSig(address token, uint256 amount, Authorization calldata auth) external {
        _useAuthorization(
            keccak256(abi.encode(DEPOSIT_LIQUIDITY_TYPEHASH, token, amount, auth.nonce, auth.validBefore)),
            auth
        );
        _depositLiquidity(auth.signer, token, amount);
    }

    /// @notice {withdrawLiquidity} authorised by the acceptor's signature.
    /// @param token The token.
    /// @param amount Amount to withdraw.
    /// @param to Receives the tokens.
    /// @param auth The acceptor's authorisation.
    function withdrawLiquidityWithSig(
        address token,
        uint256 amount,
        address to,
        Authorization calldata auth
    ) external {
        _useAuthorization(
            keccak256(abi.encode(WITHDRAW_LIQUIDITY_TYPEHASH, token, amount, to, auth.nonce, auth.validBefore)),
            auth
        );
        _withdrawLiquidity(auth.signer, token, amount, to);
    }

    /// @notice {setPlatformTrusted} authorised by the acceptor's signature.
    /// @param platform The platform.
    /// @param trusted Whether it may reserve.
    /// @param auth The acceptor's authorisation.
    function setPlatformTrustedWithSig(address platform, bool trusted, Authorization calldata auth) external {
        _useAuthorization(
            keccak256(abi.encode(TRUST_PLATFORM_TYPEHASH, platform, trusted, auth.nonce, auth.validBefore)),
            auth
        );
        _setPlatformTrusted(auth.signer, platform, trusted);
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

    // ---------------------------------------------------------------- internals

    /// @dev The struct hash of a Confirm, Cancel or Dispute: they share one layout.
    function _orderActionHash(
        bytes32 typehash,
        Order calldata order,
        uint256 slot,
        Authorization calldata auth
    ) private pure returns (bytes32) {
        return keccak256(abi.encode(typehash, order.orderId, order.acceptor, slot, auth.nonce, auth.validBefore));
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
        uint256 word = nonce >> _NONCE_WORD_SHIFT;
        uint256 bit = 1 << (nonce & _NONCE_BIT_MASK);
        uint256 bits = nonceBitmap[signer][word];
        if (bits & bit != 0) revert NonceAlreadyUsed(signer, nonce);
        nonceBitmap[signer][word] = bits | bit;
    }
}
