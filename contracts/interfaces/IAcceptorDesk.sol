// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

/// @title IAcceptorDesk
/// @notice Types, events and errors of the acceptor desk: the contract that holds acceptors' USDT
/// liquidity and the peer-to-peer (P2P) orders reserved on it.
/// @dev An order is stored as one word in one of its acceptor's slots: keccak256(abi.encode(Order))
/// with the lowest bit cleared while open, a non-zero tombstone with the lowest bit set once closed.
/// Callers pass the struct back in full with every action; the desk checks it against the slot.
/// {OrderOpened} carries the whole order; {OrderReserved} only its hash (the relayer made the order).
interface IAcceptorDesk {
    /// @notice Which way the money goes.
    enum OrderKind {
        Deposit, // the user buys USDT: the acceptor's reserved liquidity is released to the beneficiary
        Withdrawal // the user sells USDT: the platform's tokens are released to the acceptor's free balance
    }

    /// @notice One user's deposit or withdrawal through an acceptor, as committed to by its slot.
    struct Order {
        /// @dev The relayer's order id, echoed in events for correlation; the desk does not index by it.
        bytes32 orderId;
        /// @dev Deposit or Withdrawal.
        OrderKind kind;
        /// @dev Token held.
        address token;
        /// @dev The liquidity provider: payer side of a Deposit, payee side of a Withdrawal.
        address acceptor;
        /// @dev The merchant whose user this is; it (or its vault invoice signer) authorises the order.
        address platform;
        /// @dev Deposit: receives the release. Withdrawal: receives refunds (the platform's refund address).
        address beneficiary;
        /// @dev Resolves disputes; zero means no disputes.
        address arbiter;
        /// @dev Amount held, released or refunded whole.
        uint256 amount;
        /// @dev After this second anyone may expire the order (refund to the payer side) unless disputed.
        uint48 deadline;
        /// @dev When a dispute was opened; zero while not disputed.
        uint48 disputedAt;
    }

    /// @notice One item of {reserveBatch}: the arguments of {reserve} but the signature, which
    /// {reserveBatch} takes once for the whole batch.
    /// @dev `slot` and `previous` must directly follow `order`: the reservation's typed-data hash is
    /// taken over these twelve words in calldata. All static, so the batch's items lie inline in calldata.
    struct ReserveCall {
        Order order;
        uint256 slot;
        bytes32 previous;
    }

    /// @notice One item of {expireBatch}.
    struct ExpireCall {
        Order order;
        uint256 slot;
    }

    /// @notice A party's signed authorisation of an action, submitted by anyone (usually the relayer).
    struct Authorization {
        /// @dev The party whose authority is used: an EOA or an EIP-1271 contract.
        address signer;
        /// @dev Unordered nonce from the signer's nonce bitmap; each can be used once.
        uint256 nonce;
        /// @dev The signature is accepted only while `block.timestamp < validBefore`.
        uint256 validBefore;
        /// @dev 65-byte ECDSA signature (r, s, v) or EIP-1271 signature data.
        bytes signature;
    }

    // ---------------------------------------------------------------- events

    /// @notice `acceptor` added `amount` of `token` to its free balance.
    event LiquidityDeposited(address indexed acceptor, address indexed token, uint256 amount);

    /// @notice `acceptor` took `amount` of `token` out of its free balance, sent to `to`.
    event LiquidityWithdrawn(address indexed acceptor, address indexed token, address to, uint256 amount);

    /// @notice A Deposit order reserved its amount of the acceptor's free balance in `slot`.
    /// @dev Carries only what the platform's relayer, which made the order, cannot know: the slot and the
    /// {hashOrder} the slot now holds (compare it with the hash of the order as the relayer stored it).
    /// The order's fields are in the reservation's calldata. Kept small: a reservation's gas target.
    event OrderReserved(
        bytes32 indexed orderId,
        address indexed acceptor,
        address indexed platform,
        uint256 slot,
        bytes32 orderHash
    );

    /// @notice A Withdrawal order pulled `order.amount` from the platform into the desk, held in `slot`.
    event OrderOpened(
        bytes32 indexed orderId,
        address indexed acceptor,
        address indexed platform,
        uint256 slot,
        Order order
    );

    /// @notice A reservation of {reserveBatch} failed with the error whose selector is `reason`; the
    /// rest of the batch went ahead.
    event ReservationFailed(bytes32 indexed orderId, address indexed acceptor, bytes4 reason);

    /// @notice The payer side released the order to the payee side.
    event OrderConfirmed(bytes32 indexed orderId, address indexed acceptor, uint256 slot, address by);

    /// @notice The payee side refunded the order to the payer side.
    event OrderCancelled(bytes32 indexed orderId, address indexed acceptor, uint256 slot, address by);

    /// @notice The payee side disputed the order; `disputedAt` is the order's new field.
    event OrderDisputed(bytes32 indexed orderId, address indexed acceptor, uint256 slot, address by, uint48 disputedAt);

    /// @notice The arbiter closed the disputed order with a split.
    event OrderResolved(
        bytes32 indexed orderId,
        address indexed acceptor,
        uint256 slot,
        uint256 payeeAmount,
        uint256 payerAmount
    );

    /// @notice The payer side moved the order's deadline to `newDeadline`.
    event OrderDeadlineExtended(bytes32 indexed orderId, address indexed acceptor, uint256 slot, uint48 newDeadline);

    /// @notice Anyone expired the order, refunding the payer side.
    event OrderExpired(bytes32 indexed orderId, address indexed acceptor, uint256 slot);

    /// @notice A payout to `recipient` failed (reverting or blacklisted address) and was credited to its
    /// claimable balance instead.
    event PayoutDeferred(address indexed recipient, address indexed token, uint256 amount);

    /// @notice `recipient` claimed its deferred payouts in `token`, sent to `to`.
    event PayoutClaimed(address indexed recipient, address indexed token, address to, uint256 amount);

    /// @notice `acceptor` allowed (or stopped allowing) `platform` to reserve its liquidity.
    event PlatformTrusted(address indexed acceptor, address indexed platform, bool trusted);

    /// @notice `signer` invalidated unordered nonces: bits `mask` of bitmap word `wordPosition`.
    event NoncesInvalidated(address indexed signer, uint256 wordPosition, uint256 mask);

    // ---------------------------------------------------------------- errors

    /// @notice A zero amount was given where a positive one is required.
    error ZeroAmount();
    /// @notice A zero address was given where an account is required.
    error ZeroAddress();
    /// @notice The vault's owner has paused new deposits.
    error DepositsArePaused();
    /// @notice The token is not on the vault's allowlist.
    error TokenNotAllowed(address token);
    /// @notice The acceptor's free balance is smaller than the amount asked for.
    error InsufficientFreeBalance(address acceptor, address token, uint256 available, uint256 required);
    /// @notice The slot does not hold what the reservation states (`previous`): taken, or already used.
    error SlotMismatch(address acceptor, uint256 slot, bytes32 expected, bytes32 actual);
    /// @notice The slot holds an open order: a reservation can only go into an unused or closed slot.
    error SlotOccupied(address acceptor, uint256 slot);
    /// @notice The order struct does not match its slot: wrong fields, or not open.
    error OrderNotOpen(bytes32 orderId, address acceptor, uint256 slot);
    /// @notice The order is of the other kind than the function handles.
    error WrongOrderKind(bytes32 orderId, OrderKind kind);
    /// @notice A new order must not be disputed already.
    error OrderIsDisputed(bytes32 orderId);
    /// @notice The action needs a disputed order.
    error OrderNotDisputed(bytes32 orderId);
    /// @notice Disputes need an arbiter and this order has none.
    error NoArbiter(bytes32 orderId);
    /// @notice The arbiter is the acceptor or the platform.
    error ArbiterConflict(address arbiter);
    /// @notice The deadline has passed: too late to reserve, open or dispute.
    error DeadlinePassed(uint256 timestamp, uint48 deadline);
    /// @notice A new deadline must be later than the current one.
    error DeadlineNotExtended(uint48 currentDeadline, uint48 newDeadline);
    /// @notice The order cannot be expired yet.
    error ExpiryNotReached(uint256 timestamp, uint256 expirableAfter);
    /// @notice The caller has no right to this action on this order.
    error NotAuthorized(address caller);
    /// @notice The acceptor has not allowed this platform to reserve its liquidity.
    error PlatformNotTrusted(address acceptor, address platform);
    /// @notice The reservation is signed neither by the platform nor by its vault invoice signer.
    error InvalidPlatformSignature(bytes32 orderId);
    /// @notice The split gives the payee more than the order holds.
    error AmountExceedsOrder(uint256 amount, uint256 orderAmount);
    /// @notice The authorisation's validity window has ended.
    error AuthorizationExpired(uint256 timestamp, uint256 validBefore);
    /// @notice The authorisation's signature does not match its signer.
    error InvalidAuthorizationSignature(address signer);
    /// @notice The nonce was already used or invalidated.
    error NonceAlreadyUsed(address signer, uint256 nonce);
    /// @notice Nothing to claim.
    error NothingToClaim(address account, address token);
    /// @notice The call was re-entered while a pull was measuring balances.
    error ReentrantPull();
    /// @notice The desk cannot be its own recipient.
    error RecipientIsDesk();
}
