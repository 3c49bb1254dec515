// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {IAcceptorDesk} from "./interfaces/IAcceptorDesk.sol";
import {IAcceptorDeskVault} from "./interfaces/IAcceptorDeskVault.sol";
import {TokenMovements} from "./libraries/TokenMovements.sol";

/// @title AcceptorLiquidity
/// @notice Acceptors' free balances, the platforms each acceptor trusts, and the payouts the desk owes.
/// @dev The desk has no owner. It follows the vault it was deployed next to for the token allowlist and
/// the deposit pause (money coming in), and for the merchants' invoice signers. Money going out (withdrawals,
/// order payouts, claims) is never paused.
abstract contract AcceptorLiquidity is IAcceptorDesk {
    using TokenMovements for address;

    uint256 private constant _UNLOCKED = 1;
    uint256 private constant _LOCKED = 2;

    /// @notice The vault whose allowlist, deposit pause and invoice signers the desk follows.
    IAcceptorDeskVault public immutable vault;

    /// @dev Held while a pull measures the desk's balance delta; see {TokenMovements-pullExact}.
    uint256 private _pullLock = _UNLOCKED;

    mapping(address acceptor => mapping(address token => uint256 amount)) private _freeBalances;

    mapping(address acceptor => mapping(address platform => bool trusted)) private _trustedPlatforms;

    /// @notice Payouts that could not be delivered (reverting or blacklisted recipient), claimable by the
    /// recipient to any address it chooses.
    mapping(address recipient => mapping(address token => uint256 amount)) public deferredPayouts;

    /// @param vault_ The vault to follow; not zero.
    constructor(IAcceptorDeskVault vault_) {
        if (address(vault_) == address(0)) revert ZeroAddress();
        vault = vault_;
    }

    // ---------------------------------------------------------------- acceptor

    /// @notice Adds `amount` of `token` from the caller to the caller's free balance.
    /// @dev The caller must have approved the desk for `amount`. Reverts with {ZeroAmount},
    /// {DepositsArePaused}, {TokenNotAllowed}, {ReentrantPull}, or the token library's errors when fewer
    /// tokens arrive than asked (a switched-on USDT fee): nothing is credited then.
    /// @param token An allowlisted token.
    /// @param amount Amount to add, in the token's smallest unit.
    function depositLiquidity(address token, uint256 amount) external {
        _depositLiquidity(msg.sender, token, amount);
    }

    /// @notice Sends `amount` of `token` from the caller's free balance to `to`.
    /// @dev Never paused: only reserved liquidity waits for its orders. Reverts with {ZeroAmount},
    /// {ZeroAddress}, {RecipientIsDesk}, {InsufficientFreeBalance}, or
    /// {TokenMovements-TokenMovementsPushFailed} when the token refuses `to` (the caller picks another).
    /// @param token The token.
    /// @param amount Amount to withdraw.
    /// @param to Receives the tokens.
    function withdrawLiquidity(address token, uint256 amount, address to) external {
        _withdrawLiquidity(msg.sender, token, amount, to);
    }

    /// @notice Allows (or stops allowing) `platform`, and whoever signs for it, to reserve the caller's
    /// liquidity for Deposit orders.
    /// @dev A trusted platform names the beneficiary and the arbiter of the orders it reserves, and an
    /// arbiter's resolution can release a reservation to the beneficiary: trust only platforms whose
    /// arbiters you accept. Revoking affects new reservations only.
    /// @param platform The platform (a merchant of the vault).
    /// @param trusted Whether it may reserve.
    function setPlatformTrusted(address platform, bool trusted) external {
        _setPlatformTrusted(msg.sender, platform, trusted);
    }

    /// @notice Sends the caller's deferred payouts in `token` to `to`.
    /// @dev This is how a blacklisted or reverting beneficiary redirects its own payout. Reverts with
    /// {ZeroAddress}, {NothingToClaim} or {TokenMovements-TokenMovementsPushFailed}.
    /// @param token The token of the deferred payouts.
    /// @param to Receives the tokens.
    function claim(address token, address to) external {
        _claim(msg.sender, token, to);
    }

    // ---------------------------------------------------------------- views

    /// @notice What `acceptor` holds in `token` that no order has reserved: it can withdraw this now.
    function freeBalance(address acceptor, address token) external view returns (uint256) {
        return _freeBalances[acceptor][token];
    }

    /// @notice Whether `acceptor` lets `platform` reserve its liquidity.
    function isPlatformTrusted(address acceptor, address platform) external view returns (bool) {
        return _trustedPlatforms[acceptor][platform];
    }

    // ---------------------------------------------------------------- internals

    function _depositLiquidity(address acceptor, address token, uint256 amount) internal {
        // Check
        if (amount == 0) revert ZeroAmount();
        _enterPull(token);

        // Update and emit, then pull: a shortfall reverts the whole call, credit included.
        _freeBalances[acceptor][token] += amount;
        emit LiquidityDeposited(acceptor, token, amount);
        token.pullExact(acceptor, address(this), amount);
        _exitPull();
    }

    function _withdrawLiquidity(address acceptor, address token, uint256 amount, address to) internal {
        // Check
        if (amount == 0) revert ZeroAmount();
        _requireRecipient(to);
        uint256 available = _freeBalances[acceptor][token];
        if (available < amount) revert InsufficientFreeBalance(acceptor, token, available, amount);

        // Update and emit
        // Cannot underflow: checked just above.
        unchecked {
            _freeBalances[acceptor][token] = available - amount;
        }
        emit LiquidityWithdrawn(acceptor, token, to, amount);

        // Transfer
        _pushOrRevert(token, to, amount);
    }

    function _setPlatformTrusted(address acceptor, address platform, bool trusted) internal {
        if (platform == address(0)) revert ZeroAddress();
        _trustedPlatforms[acceptor][platform] = trusted;
        emit PlatformTrusted(acceptor, platform, trusted);
    }

    /// @dev Sends `recipient`'s deferred payouts in `token` to `to`.
    function _claim(address recipient, address token, address to) internal {
        _requireRecipient(to);
        uint256 amount = deferredPayouts[recipient][token];
        if (amount == 0) revert NothingToClaim(recipient, token);
        deferredPayouts[recipient][token] = 0;
        emit PayoutClaimed(recipient, token, to, amount);
        _pushOrRevert(token, to, amount);
    }

    /// @dev Starts a pull of new money: checks the vault's pause flag and allowlist and takes the lock.
    /// Every balance-delta measurement runs between this and {_exitPull}.
    function _enterPull(address token) internal {
        if (_pullLock == _LOCKED) revert ReentrantPull();
        if (vault.depositsPaused()) revert DepositsArePaused();
        if (!vault.isTokenAllowed(token)) revert TokenNotAllowed(token);
        _pullLock = _LOCKED;
    }

    /// @dev Ends a pull: releases the lock taken by {_enterPull}.
    function _exitPull() internal {
        _pullLock = _UNLOCKED;
    }

    /// @dev Whether `account` acts for `platform`: the platform itself or its vault invoice signer.
    function _isPlatformSide(address platform, address account) internal view returns (bool) {
        if (account == platform) return true;
        return account != address(0) && account == vault.invoiceSigner(platform);
    }

    /// @dev Whether `acceptor` trusts `platform` (read on the reservation path).
    function _isTrusted(address acceptor, address platform) internal view returns (bool) {
        return _trustedPlatforms[acceptor][platform];
    }

    /// @dev The acceptor's free balance, for the reservation path.
    function _freeBalanceOf(address acceptor, address token) internal view returns (uint256) {
        return _freeBalances[acceptor][token];
    }

    /// @dev Sets the acceptor's free balance after a reservation the caller checked.
    function _setFreeBalance(address acceptor, address token, uint256 amount) internal {
        _freeBalances[acceptor][token] = amount;
    }

    /// @dev Adds `amount` to the acceptor's free balance: a Deposit order's refund, a Withdrawal's release.
    function _credit(address acceptor, address token, uint256 amount) internal {
        if (amount != 0) _freeBalances[acceptor][token] += amount;
    }

    /// @dev Pays `amount` to `recipient`; if the token refuses (blacklisted or reverting recipient) the amount
    /// is credited to the recipient's deferred payouts so the order still closes.
    function _payout(address token, address recipient, uint256 amount) internal {
        if (amount == 0) return;
        if (!token.tryPush(recipient, amount)) {
            deferredPayouts[recipient][token] += amount;
            emit PayoutDeferred(recipient, token, amount);
        }
    }

    /// @dev A recipient the caller chose: not zero, not the desk (tokens sent to itself would leave the
    /// books but stay here, unowned).
    function _requireRecipient(address to) internal view {
        if (to == address(0)) revert ZeroAddress();
        if (to == address(this)) revert RecipientIsDesk();
    }

    /// @dev A push whose failure must undo the call: the caller chose the recipient and can choose again.
    function _pushOrRevert(address token, address to, uint256 amount) private {
        if (!token.tryPush(to, amount)) revert TokenMovements.TokenMovementsPushFailed(token, to);
    }
}
