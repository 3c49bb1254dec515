// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

/// @title IEscrowVault
/// @notice Types, events and errors of the escrow vault: one contract per chain that holds every
/// escrow opened by paying a merchant-signed invoice.
/// @dev The vault stores one word per escrow: the keccak256 of its `Escrow` struct. Callers pass the
/// struct back in full with every action; the vault checks it against the stored hash. The events
/// carry every field an indexer needs to rebuild the struct without reading storage.
interface IEscrowVault {
    /// @notice What happens to the remaining funds when the deadline passes undisputed.
    enum TimeoutAction {
        Release, // the payee is paid: the payee is favoured, so only the payee may extend
        Refund // the payer is refunded: the payer is favoured, so only the payer may extend
    }

    /// @notice An invoice: typed data signed off-chain by the merchant or its registered signer.
    /// @dev Its EIP-712 digest is the invoice id and, once paid, the escrow id.
    struct Invoice {
        /// @dev Receives the payment (the escrow's payee).
        address merchant;
        /// @dev Allowlisted token the invoice is priced in.
        address token;
        /// @dev Amount in the token's smallest unit.
        uint256 amount;
        /// @dev Last second (unix time) at which the invoice can be paid.
        uint48 payBy;
        /// @dev Seconds the funds stay in escrow after payment; zero settles straight to the merchant.
        uint48 holdPeriod;
        /// @dev What the deadline does if nobody acts and nobody disputes.
        TimeoutAction timeoutAction;
        /// @dev Resolves disputes; zero means no arbiter and no disputes.
        address arbiter;
        /// @dev The only address allowed to pay with {payInvoice}; zero lets anyone pay. When the invoice is paid
        /// through its deposit address (scan-to-pay), whoever sent the transfer, this is the refund address
        /// the payer stated and becomes the escrow's payer; zero makes the deposit address the payer.
        address payer;
        /// @dev The merchant's own order reference, echoed in events.
        bytes32 merchantReference;
        /// @dev Lets a merchant sign otherwise identical invoices.
        uint256 nonce;
    }

    /// @notice An open escrow, as committed to by the vault's stored hash.
    struct Escrow {
        /// @dev Token held.
        address token;
        /// @dev Funded the escrow; receives refunds.
        address payer;
        /// @dev Receives releases, minus the protocol fee.
        address payee;
        /// @dev Resolves disputes; zero when the invoice named none.
        address arbiter;
        /// @dev Amount still held: funded amount minus everything released or refunded so far.
        uint256 remaining;
        /// @dev The invoice's pay-by time; once it has passed, a closed escrow's storage is cleared.
        uint48 payBy;
        /// @dev After this second anyone may execute the timeout action (when not disputed).
        uint48 deadline;
        /// @dev When a dispute was opened; zero while not disputed.
        uint48 disputedAt;
        /// @dev Protocol fee on releases, fixed at funding.
        uint16 feeBps;
        /// @dev What the deadline does.
        TimeoutAction timeoutAction;
    }

    /// @notice One item of a batched timeout call.
    struct TimeoutCall {
        bytes32 escrowId;
        Escrow escrow;
    }

    /// @notice A party's signed authorisation of an action, submitted by anyone (usually the relayer).
    struct Authorization {
        /// @dev The party whose authority is used: an EOA or an EIP-1271 contract.
        address signer;
        /// @dev Unordered nonce from the signer's nonce bitmap; each can be used once.
        uint256 nonce;
        /// @dev The signature is accepted only while `block.timestamp < validBefore` (as in EIP-3009).
        uint256 validBefore;
        /// @dev 65-byte ECDSA signature (r, s, v) or EIP-1271 signature data.
        bytes signature;
    }

    // ---------------------------------------------------------------- events

    /// @notice An invoice was paid and its funds are now held in escrow `escrowId`.
    event EscrowOpened(
        bytes32 indexed escrowId,
        address indexed payer,
        address indexed payee,
        address token,
        address arbiter,
        uint256 amount,
        uint48 payBy,
        uint48 deadline,
        uint16 feeBps,
        TimeoutAction timeoutAction,
        bytes32 merchantReference
    );

    /// @notice An invoice with a zero hold period was paid and settled straight to the merchant.
    event InvoiceSettled(
        bytes32 indexed invoiceId,
        address indexed payer,
        address indexed merchant,
        address token,
        uint256 amount,
        uint256 fee,
        bytes32 merchantReference
    );

    /// @notice The merchant cancelled an unpaid invoice; it can no longer be paid.
    event InvoiceCancelled(bytes32 indexed invoiceId, address indexed merchant);

    /// @notice `amount` left escrow `escrowId` towards its payee: `amount - fee` to the payee, `fee` to
    /// the protocol. The payee is not repeated: it is fixed in {EscrowOpened}, and a failed delivery
    /// emits {PayoutDeferred}.
    event EscrowReleased(bytes32 indexed escrowId, uint256 amount, uint256 fee);

    /// @notice `amount` left escrow `escrowId` back to its payer.
    event EscrowRefunded(bytes32 indexed escrowId, uint256 amount);

    /// @notice The payer or payee disputed escrow `escrowId`; only the arbiter can release it now.
    /// @dev `disputedAt` is the escrow's new field, so indexers need not fetch the block.
    event EscrowDisputed(bytes32 indexed escrowId, address indexed disputant, uint48 disputedAt);

    /// @notice The arbiter closed escrow `escrowId` with a split.
    event EscrowResolved(bytes32 indexed escrowId, uint256 payeeAmount, uint256 fee, uint256 payerAmount);

    /// @notice The favoured party moved the deadline of escrow `escrowId` later.
    event EscrowDeadlineExtended(bytes32 indexed escrowId, uint48 previousDeadline, uint48 newDeadline);

    /// @notice Anyone executed the timeout of escrow `escrowId`, closing it.
    /// @dev `action` says who was paid: Release pays the payee `amount - fee`, Refund pays the payer
    /// `amount`. It is Refund for an expired arbitration whatever the escrow's own timeout action.
    event EscrowTimedOut(bytes32 indexed escrowId, TimeoutAction action, uint256 amount, uint256 fee);

    /// @notice A payout to `recipient` failed (reverting or blacklisted address) and was credited to
    /// its claimable balance instead, so nobody else's funds wait on it.
    event PayoutDeferred(address indexed recipient, address indexed token, uint256 amount);

    /// @notice `recipient` claimed its deferred payouts in `token`, sent to `to`.
    event PayoutClaimed(address indexed recipient, address indexed token, address to, uint256 amount);

    /// @notice The fee recipient withdrew accrued protocol fees.
    event FeesWithdrawn(address indexed token, address indexed to, uint256 amount);

    /// @notice A merchant registered (or, with zero, removed) an extra invoice signer.
    event InvoiceSignerSet(address indexed merchant, address indexed signer);

    /// @notice `signer` invalidated unordered nonces: bits `mask` of bitmap word `wordPosition`.
    event NoncesInvalidated(address indexed signer, uint256 wordPosition, uint256 mask);

    /// @notice The owner allowed or disallowed deposits in `token`.
    event TokenAllowed(address indexed token, bool allowed);

    /// @notice The owner changed the protocol fee for escrows funded from now on.
    event FeeUpdated(uint16 previousFeeBps, uint16 newFeeBps);

    /// @notice The owner changed who receives protocol fees.
    event FeeRecipientUpdated(address indexed previousRecipient, address indexed newRecipient);

    /// @notice The owner paused or unpaused new deposits.
    event DepositsPaused(bool paused);

    /// @notice The owner swept a token that was never allowlisted (so the vault owes nothing in it).
    event Swept(address indexed token, address indexed to, uint256 amount);

    // ---------------------------------------------------------------- errors

    /// @notice The invoice's pay-by time has passed.
    error InvoiceExpired(uint256 timestamp, uint48 payBy);
    /// @notice The invoice was already paid or cancelled.
    error InvoiceAlreadyUsed(bytes32 invoiceId);
    /// @notice The signature is not the merchant's nor its registered signer's.
    error InvalidInvoiceSignature(bytes32 invoiceId);
    /// @notice The invoice names a payer and the caller is someone else.
    error PayerMismatch(address expected, address actual);
    /// @notice The invoice names the merchant or the payer as its own arbiter.
    error ArbiterConflict(address arbiter);
    /// @notice The merchant is the zero address.
    error ZeroMerchant();
    /// @notice A zero amount was given where a positive one is required.
    error ZeroAmount();
    /// @notice Deposits are paused.
    error DepositsArePaused();
    /// @notice The token is not on the allowlist.
    error TokenNotAllowed(address token);
    /// @notice The escrow struct does not match the stored hash: wrong fields, or not open.
    error EscrowNotOpen(bytes32 escrowId);
    /// @notice The caller has no right to this action in the escrow's current state.
    error NotAuthorized(address caller);
    /// @notice The amount exceeds what the escrow still holds.
    error AmountExceedsRemaining(uint256 amount, uint256 remaining);
    /// @notice The action needs an undisputed escrow.
    error EscrowIsDisputed(bytes32 escrowId);
    /// @notice The action needs a disputed escrow.
    error EscrowNotDisputed(bytes32 escrowId);
    /// @notice Disputes need an arbiter and this escrow has none.
    error NoArbiter(bytes32 escrowId);
    /// @notice The deadline has passed, so the escrow can no longer be disputed.
    error DeadlinePassed(uint256 timestamp, uint48 deadline);
    /// @notice The timeout is not executable yet.
    error TimeoutNotReached(uint256 timestamp, uint256 executableAfter);
    /// @notice A new deadline must be later than the current one.
    error DeadlineNotExtended(uint48 currentDeadline, uint48 newDeadline);
    /// @notice The authorisation's validity window has ended.
    error AuthorizationExpired(uint256 timestamp, uint256 validBefore);
    /// @notice The authorisation's signature does not match its signer.
    error InvalidAuthorizationSignature(address signer);
    /// @notice The nonce was already used or invalidated.
    error NonceAlreadyUsed(address signer, uint256 nonce);
    /// @notice Nothing to claim or withdraw.
    error NothingToClaim(address account, address token);
    /// @notice The fee exceeds the hard cap.
    error FeeTooHigh(uint16 feeBps, uint16 maxFeeBps);
    /// @notice A zero address was given where an account is required.
    error ZeroAddress();
    /// @notice The token was allowlisted at some point, so the vault may owe funds in it.
    error TokenHasLiabilities(address token);
    /// @notice The invoice asks for a hold period longer than the vault allows.
    error HoldPeriodTooLong(uint48 holdPeriod, uint48 maxHoldPeriod);
    /// @notice Ownership cannot be renounced; transfer it instead.
    error RenounceDisabled();
    /// @notice The call was re-entered while a deposit was measuring balances.
    error ReentrantDeposit();
    /// @notice The invoice can still be paid (not used, pay-by not passed), so its deposit address may
    /// only be swept: wait for the pay-by time, or cancel the invoice.
    error InvoiceStillPayable(bytes32 invoiceId, uint48 payBy);
    /// @notice The probe deployed at the constructor matched neither CREATE2 formula (0xff nor 0x41).
    error Create2PrefixUnknown(address deployed);
    /// @notice The deposit address's call to `target` reverted (token refused, recipient reverted).
    error DepositCallFailed(address depositAddress, address target);
}
