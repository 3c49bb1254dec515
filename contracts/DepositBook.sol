// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {DepositRouter} from "./DepositRouter.sol";
import {InvoiceBook} from "./InvoiceBook.sol";
import {DepositAddress} from "./libraries/DepositAddress.sol";
import {TokenMovements} from "./libraries/TokenMovements.sol";

/// @title DepositBook
/// @notice Scan-to-pay deposit addresses: every invoice has one, known before anyone pays and free
/// until used. A payer sends a plain token transfer there from any wallet or exchange; anyone then calls
/// {sweepDeposit}, which pays the invoice from the address exactly as {payInvoice} would from a wallet.
/// @dev The deposit address of invoice `id` is the CREATE2 address of a 56-byte forwarder deployed by
/// this vault with salt `id` ({DepositAddress}); the forwarder makes one call as itself when, and only
/// when, this vault asks. Only three things reach it: {sweepDeposit} (anyone, exactly the invoice amount,
/// into the vault), and {payFromDeposit} and {callDeposit} (only {depositRouter}, which holds the
/// acceptance, refund and recovery rules, and only once the invoice can no longer be paid). The router
/// is created by this constructor, so neither side's address is configurable. See docs/deposits.md and
/// docs/decisions/008-deposit-addresses.md.
///
/// A sweep deploys the forwarder without checking for code first (a cold EXTCODESIZE costs 2,600): while
/// an invoice can be paid nothing else deploys at its address ({callDeposit} refuses), a successful sweep
/// makes the invoice used, and a used or expired invoice never becomes payable again.
abstract contract DepositBook is InvoiceBook {
    /// @notice Holds the rules for everything a deposit address does besides sweeping.
    address public immutable depositRouter;
    /// @notice This chain's CREATE2 prefix byte, read off a probe deployment: 0xff on EVM chains, 0x41 on TRON.
    bytes1 public immutable create2Prefix;
    /// @notice keccak256 of the forwarder's init code (it embeds this vault's address).
    bytes32 public immutable depositInitCodeHash;

    /// @dev The 65-byte forwarder init code as three words: a deployment stores them with three MSTOREs.
    bytes32 private immutable _initCode0;
    bytes32 private immutable _initCode1;
    bytes32 private immutable _initCode2;

    /// @dev Length of {DepositAddress-forwarderInitCode}.
    uint256 private constant _INIT_CODE_LENGTH = 65;

    /// @dev Salt of the probe forwarder: an invoice id (an EIP-712 digest) is never zero.
    bytes32 private constant _PROBE_SALT = bytes32(0);

    /// @dev Deploys a probe forwarder to learn the chain's CREATE2 prefix (the same bytecode must run on
    /// EVM chains and on TRON, and a wrong prefix would make every deposit address wrong), then the router.
    constructor() {
        bytes memory initCode = DepositAddress.forwarderInitCode(address(this));
        bytes32 initCodeHash = keccak256(initCode);
        bytes32 word0;
        bytes32 word1;
        bytes32 word2;
        bytes32 probeSalt = _PROBE_SALT;
        address probe;
        assembly ("memory-safe") {
            word0 := mload(add(initCode, 0x20))
            word1 := mload(add(initCode, 0x40))
            // Only the first byte of the third word belongs to the init code.
            word2 := and(mload(add(initCode, 0x60)), shl(248, 0xff))
            probe := create2(0, add(initCode, 0x20), mload(initCode), probeSalt)
        }
        bytes1 prefix;
        if (probe == DepositAddress.compute(DepositAddress.EVM_PREFIX, address(this), probeSalt, initCodeHash)) {
            prefix = DepositAddress.EVM_PREFIX;
        } else if (probe == DepositAddress.compute(DepositAddress.TRON_PREFIX, address(this), probeSalt, initCodeHash)) {
            prefix = DepositAddress.TRON_PREFIX;
        } else {
            revert Create2PrefixUnknown(probe);
        }
        create2Prefix = prefix;
        depositInitCodeHash = initCodeHash;
        _initCode0 = word0;
        _initCode1 = word1;
        _initCode2 = word2;
        depositRouter = address(new DepositRouter());
    }

    /// @notice Pays `invoice` from its deposit address: opens the escrow, or settles straight to the
    /// merchant when the hold period is zero.
    /// @dev Anyone may call; the invoice fixes where every token goes, so the caller can redirect nothing.
    /// Exactly `invoice.amount` moves from the deposit address into the vault, checked by the vault's own
    /// balance delta under the deposit lock; anything above stays at the address, refundable. The
    /// escrow's payer is `invoice.payer` (the refund address the payer stated, covered by the merchant's
    /// signature) or, when the invoice names none, the deposit address itself, where refunds then wait
    /// for the merchant. Reverts like {payInvoice}: {InvoiceExpired}, {InvoiceAlreadyUsed},
    /// {InvalidInvoiceSignature}, {ArbiterConflict}, {DepositsArePaused}, {TokenNotAllowed}, ..., and with
    /// {DepositCallFailed} when the address holds less than the amount.
    /// @param invoice The invoice as signed.
    /// @param signature The merchant's or its signer's signature over the invoice.
    /// @return invoiceId The invoice id, which is also the escrow id.
    function sweepDeposit(Invoice calldata invoice, bytes calldata signature) external returns (bytes32 invoiceId) {
        invoiceId = hashInvoice(invoice);
        // The invoice must be payable, so its address has no code yet (see the contract notes).
        _payFromDeposit(invoiceId, invoice, signature, depositAddress(invoiceId), true);
    }

    /// @notice Pays `invoice` from the deposit address of `original`, an invoice that can no longer be paid:
    /// how the merchant accepts a late, short or repeated payment ({DepositRouter-acceptPayment}).
    /// @dev Only {depositRouter}, which checks the caller and that `invoice` keeps the terms of `original`.
    /// Works like {sweepDeposit} with `original`'s address as the source; the escrow's payer is
    /// `invoice.payer` or, when it names none, `original`'s deposit address. Reverts with {NotAuthorized},
    /// {InvoiceStillPayable} for `original`, and {sweepDeposit}'s errors for `invoice`.
    /// @param invoice The new invoice, as signed.
    /// @param signature The merchant's or its signer's signature over `invoice`.
    /// @param original The invoice whose deposit address holds the funds.
    /// @return invoiceId The new invoice's id, which is also the escrow id.
    function payFromDeposit(
        Invoice calldata invoice,
        bytes calldata signature,
        Invoice calldata original
    ) external returns (bytes32 invoiceId) {
        (, address deposit) = _depositOfUnpayable(original);
        if (deposit.code.length == 0) _deployForwarder(hashInvoice(original), deposit);
        invoiceId = hashInvoice(invoice);
        _payFromDeposit(invoiceId, invoice, signature, deposit, false);
    }

    /// @notice Makes the deposit address of `invoice` call `target` with `value` (native coin) and `payload`.
    /// @dev Only {depositRouter}, which enforces who may refund, accept or recover and where to. Only once
    /// the invoice can no longer be paid: used (paid, settled or cancelled) or past its pay-by time;
    /// reverts with {InvoiceStillPayable} before, so a sweep never finds the address deployed. Deploys the
    /// forwarder if needed. Reverts with {NotAuthorized} or {DepositCallFailed}. The vault's own funds are
    /// never involved: the forwarder holds only what was sent to the deposit address.
    /// @param invoice The invoice as signed.
    /// @param target The contract or account the deposit address calls.
    /// @param value Native coin (wei, sun) the deposit address sends with the call.
    /// @param payload The call data.
    /// @return invoiceId The invoice id.
    /// @return deposit The deposit address.
    function callDeposit(
        Invoice calldata invoice,
        address target,
        uint256 value,
        bytes calldata payload
    ) external returns (bytes32 invoiceId, address deposit) {
        (invoiceId, deposit) = _depositOfUnpayable(invoice);
        // A later call finds it deployed: CREATE2 onto existing code would fail and burn its gas.
        if (deposit.code.length == 0) _deployForwarder(invoiceId, deposit);
        _forward(deposit, target, value, payload);
    }

    /// @notice The deposit address of invoice `invoiceId` (20 bytes; on TRON its base58 form has 0x41 in front).
    function depositAddress(bytes32 invoiceId) public view returns (address) {
        return DepositAddress.compute(create2Prefix, address(this), invoiceId, depositInitCodeHash);
    }

    // ---------------------------------------------------------------- internals

    /// @dev Pays `invoice` from `deposit`: validation, deposit lock, record, measured transfer, settlement.
    function _payFromDeposit(
        bytes32 invoiceId,
        Invoice calldata invoice,
        bytes calldata signature,
        address deposit,
        bool deploy
    ) private {
        // Check
        address payer = invoice.payer == address(0) ? deposit : invoice.payer;
        _validateInvoice(invoiceId, invoice, signature, payer);
        uint16 currentFeeBps = _enterDeposit(invoice.token);

        // Update and emit
        uint256 merchantShare = _recordPayment(invoiceId, invoice, payer, currentFeeBps);

        // Transfer
        if (deploy) _deployForwarder(invoiceId, deposit);
        _pullFromDeposit(deposit, invoice.token, invoice.amount);
        _payout(invoice.token, invoice.merchant, merchantShare);
        _exitDeposit();
    }

    /// @dev Has `deposit` send `amount` of `token` to the vault, checked by the vault's own balance delta
    /// (as {TokenMovements-pullExact} does for `transferFrom`). The caller holds the deposit lock.
    function _pullFromDeposit(address deposit, address token, uint256 amount) private {
        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        _forward(deposit, token, 0, abi.encodeCall(IERC20.transfer, (address(this), amount)));
        uint256 balanceAfter = IERC20(token).balanceOf(address(this));
        // A balance that fell (something paid out meanwhile) counts as nothing received.
        uint256 received = balanceAfter > balanceBefore ? balanceAfter - balanceBefore : 0;
        if (received < amount) revert TokenMovements.TokenMovementsShortfall(token, amount, received);
    }

    /// @dev For the router only: the id and deposit address of `invoice`, which must no longer be payable.
    function _depositOfUnpayable(Invoice calldata invoice) private view returns (bytes32 invoiceId, address deposit) {
        if (msg.sender != depositRouter) revert NotAuthorized(msg.sender);
        invoiceId = hashInvoice(invoice);
        if (block.timestamp <= invoice.payBy && !_isUsed(invoiceId)) revert InvoiceStillPayable(invoiceId, invoice.payBy);
        deposit = depositAddress(invoiceId);
    }

    /// @dev Deploys the forwarder of `invoiceId`, which must not exist yet, and checks it landed at `deposit`.
    function _deployForwarder(bytes32 invoiceId, address deposit) private {
        bytes32 word0 = _initCode0;
        bytes32 word1 = _initCode1;
        bytes32 word2 = _initCode2;
        address deployed;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, word0)
            mstore(add(ptr, 0x20), word1)
            mstore(add(ptr, 0x40), word2)
            deployed := create2(0, ptr, _INIT_CODE_LENGTH, invoiceId)
        }
        // Unreachable unless CREATE2 failed (out of gas, or an address deployed against the rule above).
        if (deployed != deposit) revert DepositCallFailed(deposit, address(0));
    }

    /// @dev Makes the forwarder at `deposit` call `target`. Return data is ignored (USDT returns nothing on
    /// Ethereum and `false` on TRON); callers check what moved by balance. A revert becomes {DepositCallFailed}.
    function _forward(address deposit, address target, uint256 value, bytes memory payload) private {
        (bool success, ) = deposit.call(abi.encodePacked(uint256(uint160(target)), value, payload));
        if (!success) revert DepositCallFailed(deposit, target);
    }
}
