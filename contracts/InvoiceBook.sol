// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {EscrowBook} from "./EscrowBook.sol";
import {TypedDataDomain} from "./TypedDataDomain.sol";
import {TokenMovements} from "./libraries/TokenMovements.sol";

/// @title InvoiceBook
/// @notice Paying and cancelling merchant-signed invoices.
/// @dev An invoice is EIP-712 (TIP-712 on TRON) typed data signed by the merchant or its registered
/// signer (an EOA or an EIP-1271 contract). Its digest is the invoice id, known before payment, and
/// becomes the escrow id. Each id can be used once: paid or cancelled.
abstract contract InvoiceBook is EscrowBook, TypedDataDomain {
    using TokenMovements for address;

    /// @notice EIP-712 type of {Invoice}.
    bytes32 public constant INVOICE_TYPEHASH = keccak256(
        "Invoice(address merchant,address token,uint256 amount,uint48 payBy,uint48 holdPeriod,uint8 timeoutAction,"
        "address arbiter,address payer,bytes32 merchantReference,uint256 nonce)"
    );

    /// @notice Longest hold period an invoice may ask for: ten years.
    uint48 public constant MAX_HOLD_PERIOD = 3650 days;

    /// @dev r, s and v.
    uint256 private constant _ECDSA_SIGNATURE_LENGTH = 65;

    /// @dev abi.encode(Invoice) is ten static words.
    uint256 private constant _INVOICE_ENCODED_SIZE = 10 * 32;

    /// @notice An extra key a merchant lets sign invoices for it (for example the relayer's hot key).
    mapping(address merchant => address signer) public invoiceSigner;

    /// @notice Pays `invoice` from the caller: opens an escrow, or settles straight to the merchant
    /// when the hold period is zero.
    /// @dev The caller must have approved the vault for `invoice.amount`. Reverts with
    /// {InvoiceExpired}, {InvoiceAlreadyUsed}, {InvalidInvoiceSignature}, {PayerMismatch},
    /// {ArbiterConflict}, {ZeroMerchant}, {ZeroAmount}, {HoldPeriodTooLong}, {DepositsArePaused},
    /// {TokenNotAllowed}, {ReentrantDeposit}, or the
    /// token library's errors when fewer tokens arrive than asked (nothing is kept in that case).
    /// @param invoice The invoice as signed.
    /// @param signature The merchant's or its signer's signature over the invoice.
    /// @return invoiceId The invoice id, which is also the escrow id.
    function payInvoice(Invoice calldata invoice, bytes calldata signature) external returns (bytes32 invoiceId) {
        // Check
        invoiceId = hashInvoice(invoice);
        _validateInvoice(invoiceId, invoice, signature, msg.sender);
        uint16 currentFeeBps = _enterDeposit(invoice.token);

        // Update, emit and transfer
        if (invoice.holdPeriod == 0) {
            _settleInvoice(invoiceId, invoice, currentFeeBps);
        } else {
            _escrowInvoice(invoiceId, invoice, currentFeeBps);
        }
        _exitDeposit();
    }

    /// @notice Cancels an unpaid invoice so it can never be paid.
    /// @dev Caller: the merchant or its registered signer. Reverts with {InvoiceAlreadyUsed} or
    /// {InvoiceExpired} (an expired invoice needs no cancelling).
    /// @param invoice The invoice as signed.
    function cancelInvoice(Invoice calldata invoice) external {
        _cancelInvoice(invoice, msg.sender);
    }

    /// @notice Lets `signer` sign invoices for the caller, replacing any previous signer; zero removes it.
    /// @param signer An EOA or an EIP-1271 contract.
    function setInvoiceSigner(address signer) external {
        invoiceSigner[msg.sender] = signer;
        emit InvoiceSignerSet(msg.sender, signer);
    }

    /// @notice The invoice id: the EIP-712 digest of `invoice` in this vault's domain.
    function hashInvoice(Invoice calldata invoice) public view returns (bytes32) {
        bytes32 typehash = INVOICE_TYPEHASH;
        bytes32 structHash;
        // keccak256(abi.encode(INVOICE_TYPEHASH, invoice)) without abi.encode's copy-and-clean pass; a
        // non-canonical encoding gives another id, whose signature then fails to verify.
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typehash)
            calldatacopy(add(ptr, 0x20), invoice, _INVOICE_ENCODED_SIZE)
            structHash := keccak256(ptr, add(0x20, _INVOICE_ENCODED_SIZE))
        }
        return _hashTypedData(structHash);
    }

    // ---------------------------------------------------------------- internals

    function _cancelInvoice(Invoice calldata invoice, address caller) internal {
        // Check
        if (caller != invoice.merchant && caller != invoiceSigner[invoice.merchant]) revert NotAuthorized(caller);
        bytes32 invoiceId = hashInvoice(invoice);
        if (block.timestamp > invoice.payBy) revert InvoiceExpired(block.timestamp, invoice.payBy);
        if (_isUsed(invoiceId)) revert InvoiceAlreadyUsed(invoiceId);

        // Update and emit
        _markUsed(invoiceId);
        emit InvoiceCancelled(invoiceId, invoice.merchant);
    }

    function _validateInvoice(
        bytes32 invoiceId,
        Invoice calldata invoice,
        bytes calldata signature,
        address payer
    ) internal view {
        if (block.timestamp > invoice.payBy) revert InvoiceExpired(block.timestamp, invoice.payBy);
        if (invoice.merchant == address(0)) revert ZeroMerchant();
        if (invoice.amount == 0) revert ZeroAmount();
        if (invoice.holdPeriod > MAX_HOLD_PERIOD) revert HoldPeriodTooLong(invoice.holdPeriod, MAX_HOLD_PERIOD);
        if (invoice.payer != address(0) && invoice.payer != payer) revert PayerMismatch(invoice.payer, payer);
        if (invoice.arbiter != address(0) && (invoice.arbiter == invoice.merchant || invoice.arbiter == payer)) {
            revert ArbiterConflict(invoice.arbiter);
        }
        if (_isUsed(invoiceId)) revert InvoiceAlreadyUsed(invoiceId);
        if (!_isMerchantSignature(invoice.merchant, invoiceId, signature)) revert InvalidInvoiceSignature(invoiceId);
    }

    /// @dev True when `signature` over `digest` is the merchant's or its registered signer's.
    /// The plain ECDSA check against the merchant comes first: it is the common case and needs no
    /// storage read or code-size lookup.
    function _isMerchantSignature(address merchant, bytes32 digest, bytes calldata signature) private view returns (bool) {
        if (signature.length == _ECDSA_SIGNATURE_LENGTH) {
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
            if (error == ECDSA.RecoverError.NoError && recovered == merchant) return true;
        }
        address signer = invoiceSigner[merchant];
        if (signer != address(0) && SignatureChecker.isValidSignatureNow(signer, digest, signature)) return true;
        return merchant.code.length != 0 && SignatureChecker.isValidERC1271SignatureNow(merchant, digest, signature);
    }

    /// @dev Records a payment of `invoice` by `payer` for the deposit-address path ({DepositBook}): marks
    /// the invoice settled and returns the merchant's share (`amount - fee`) when the hold period is zero,
    /// otherwise opens the escrow and returns zero. The caller pulls the funds afterwards, under the
    /// deposit lock, then pays the share out. It repeats {_settleInvoice} and {_escrowInvoice} with `payer`
    /// in place of `msg.sender` on purpose: routing {payInvoice} through shared code measured 130 to 230
    /// gas more per payment (docs/decisions/008-deposit-addresses.md).
    function _recordPayment(
        bytes32 invoiceId,
        Invoice calldata invoice,
        address payer,
        uint16 currentFeeBps
    ) internal returns (uint256 merchantShare) {
        if (invoice.holdPeriod == 0) {
            uint256 fee = _feeOn(invoice.amount, currentFeeBps);
            _markUsed(invoiceId);
            _accrueFee(invoice.token, fee);
            emit InvoiceSettled(
                invoiceId,
                payer,
                invoice.merchant,
                invoice.token,
                invoice.amount,
                fee,
                invoice.merchantReference
            );
            return invoice.amount - fee;
        }
        uint48 deadline = uint48(block.timestamp) + invoice.holdPeriod;
        _openEscrow(
            invoiceId,
            Escrow({
                token: invoice.token,
                payer: payer,
                payee: invoice.merchant,
                arbiter: invoice.arbiter,
                remaining: invoice.amount,
                payBy: invoice.payBy,
                deadline: deadline,
                disputedAt: 0,
                feeBps: currentFeeBps,
                timeoutAction: invoice.timeoutAction
            })
        );
        emit EscrowOpened(
            invoiceId,
            payer,
            invoice.merchant,
            invoice.token,
            invoice.arbiter,
            invoice.amount,
            invoice.payBy,
            deadline,
            currentFeeBps,
            invoice.timeoutAction,
            invoice.merchantReference
        );
        return 0;
    }

    /// @dev Hold period zero: the invoice is marked used and the merchant paid at once (minus fee).
    /// The money passes through the vault rather than straight from payer to merchant: the vault's own
    /// balance delta is measured under the deposit lock, where a payout re-entered from the token can
    /// only lower it, whereas a re-entered payout to the merchant would inflate the merchant's delta and
    /// pass for this payment. It also treats a blocked merchant like every payout: deferred, claimable.
    function _settleInvoice(bytes32 invoiceId, Invoice calldata invoice, uint16 currentFeeBps) private {
        uint256 fee = _feeOn(invoice.amount, currentFeeBps);
        _markUsed(invoiceId);
        _accrueFee(invoice.token, fee);
        emit InvoiceSettled(
            invoiceId,
            msg.sender,
            invoice.merchant,
            invoice.token,
            invoice.amount,
            fee,
            invoice.merchantReference
        );
        invoice.token.pullExact(msg.sender, address(this), invoice.amount);
        _payout(invoice.token, invoice.merchant, invoice.amount - fee);
    }

    /// @dev Hold period above zero: the funds move into the vault under a new escrow.
    function _escrowInvoice(bytes32 invoiceId, Invoice calldata invoice, uint16 currentFeeBps) private {
        uint48 deadline = uint48(block.timestamp) + invoice.holdPeriod;
        _openEscrow(
            invoiceId,
            Escrow({
                token: invoice.token,
                payer: msg.sender,
                payee: invoice.merchant,
                arbiter: invoice.arbiter,
                remaining: invoice.amount,
                payBy: invoice.payBy,
                deadline: deadline,
                disputedAt: 0,
                feeBps: currentFeeBps,
                timeoutAction: invoice.timeoutAction
            })
        );
        emit EscrowOpened(
            invoiceId,
            msg.sender,
            invoice.merchant,
            invoice.token,
            invoice.arbiter,
            invoice.amount,
            invoice.payBy,
            deadline,
            currentFeeBps,
            invoice.timeoutAction,
            invoice.merchantReference
        );
        invoice.token.pullExact(msg.sender, address(this), invoice.amount);
    }
}
