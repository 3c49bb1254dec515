// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IEscrowVault} from "./interfaces/IEscrowVault.sol";
import {TokenMovements} from "./libraries/TokenMovements.sol";

/// @title VaultConfig
/// @notice The owner's few powers, and the balances the vault owes outside escrows.
/// @dev Owner powers are exactly: the token allowlist, the fee (capped) and its recipient, pausing new
/// deposits, sweeping tokens that were never allowlisted, and two-step ownership transfer. The owner
/// cannot touch an escrow, a fee already accrued, or a deferred payout.
abstract contract VaultConfig is IEscrowVault, Ownable2Step {
    using TokenMovements for address;

    /// @notice Hard cap on the protocol fee: 5%.
    uint16 public constant MAX_FEE_BPS = 500;

    /// @dev Basis points in one whole.
    uint256 internal constant _BPS_DENOMINATOR = 10_000;

    uint8 private constant _UNLOCKED = 1;
    uint8 private constant _LOCKED = 2;

    /// @dev Packed into one slot so a deposit reads the pause flag, the fee and the lock with one SLOAD,
    /// and the lock round trip (1 -> 2 -> 1) is refunded down to ~200 gas.
    struct Config {
        address feeRecipient;
        uint16 feeBps;
        bool depositsPaused;
        uint8 depositLock;
    }

    /// @dev `everAllowed` stays true once set: the vault may owe funds in that token forever after.
    struct TokenStatus {
        bool allowed;
        bool everAllowed;
    }

    Config private _config;

    mapping(address token => TokenStatus) private _tokenStatus;

    /// @notice Protocol fees accrued per token and not yet withdrawn by the fee recipient.
    mapping(address token => uint256 amount) public accruedFees;

    /// @notice Payouts that could not be delivered (reverting or blacklisted recipient), claimable by
    /// the recipient to any address it chooses.
    mapping(address recipient => mapping(address token => uint256 amount)) public deferredPayouts;

    /// @param initialOwner Receives the owner powers.
    /// @param initialFeeRecipient Receives protocol fees.
    /// @param initialFeeBps Protocol fee on releases, at most {MAX_FEE_BPS}.
    constructor(address initialOwner, address initialFeeRecipient, uint16 initialFeeBps) Ownable(initialOwner) {
        if (initialFeeRecipient == address(0)) revert ZeroAddress();
        if (initialFeeBps > MAX_FEE_BPS) revert FeeTooHigh(initialFeeBps, MAX_FEE_BPS);
        _config = Config({
            feeRecipient: initialFeeRecipient,
            feeBps: initialFeeBps,
            depositsPaused: false,
            depositLock: _UNLOCKED
        });
        emit FeeRecipientUpdated(address(0), initialFeeRecipient);
        emit FeeUpdated(0, initialFeeBps);
    }

    // ---------------------------------------------------------------- owner

    /// @notice Allows or disallows new deposits in `token`.
    /// @dev Only the owner. Disallowing never affects escrows already funded in the token.
    /// IMPORTANT: allowlist only tokens that revert when a transfer fails; see docs/security.md.
    /// @param token The token contract.
    /// @param allowed Whether invoices in `token` can be paid.
    function setTokenAllowed(address token, bool allowed) external onlyOwner {
        if (token == address(0)) revert ZeroAddress();
        TokenStatus storage status = _tokenStatus[token];
        status.allowed = allowed;
        if (allowed) status.everAllowed = true;
        emit TokenAllowed(token, allowed);
    }

    /// @notice Sets the protocol fee for escrows funded from now on.
    /// @dev Only the owner. Reverts with {FeeTooHigh} above {MAX_FEE_BPS}. Open escrows keep their fee.
    /// @param newFeeBps The new fee in basis points.
    function setFee(uint16 newFeeBps) external onlyOwner {
        if (newFeeBps > MAX_FEE_BPS) revert FeeTooHigh(newFeeBps, MAX_FEE_BPS);
        emit FeeUpdated(_config.feeBps, newFeeBps);
        _config.feeBps = newFeeBps;
    }

    /// @notice Sets who may withdraw accrued protocol fees.
    /// @dev Only the owner. Fees already accrued move with the role: they belong to the protocol.
    /// @param newFeeRecipient The new fee recipient, not zero.
    function setFeeRecipient(address newFeeRecipient) external onlyOwner {
        if (newFeeRecipient == address(0)) revert ZeroAddress();
        emit FeeRecipientUpdated(_config.feeRecipient, newFeeRecipient);
        _config.feeRecipient = newFeeRecipient;
    }

    /// @notice Pauses or unpauses new deposits (invoice payments).
    /// @dev Only the owner. Pausing never blocks release, refund, dispute, resolve, extension, timeouts,
    /// claims or fee withdrawals: money already in can always leave by the escrow rules.
    /// @param paused True to stop new deposits.
    function setDepositsPaused(bool paused) external onlyOwner {
        _config.depositsPaused = paused;
        emit DepositsPaused(paused);
    }

    /// @notice Sends the vault's whole balance of a token that was never allowlisted to `to`.
    /// @dev Only the owner. Reverts with {TokenHasLiabilities} for any token that was ever allowlisted:
    /// the vault keeps no per-token liability counter (that would cost every payment and payout ~5,000
    /// gas), so it cannot tell a surplus from money it owes. For a never-allowlisted token it owes
    /// nothing, so everything is surplus.
    /// @param token The token to sweep.
    /// @param to Receives the tokens.
    function sweep(address token, address to) external onlyOwner {
        if (to == address(0)) revert ZeroAddress();
        if (_tokenStatus[token].everAllowed) revert TokenHasLiabilities(token);
        uint256 amount = IERC20(token).balanceOf(address(this));
        if (amount == 0) revert NothingToClaim(address(this), token);
        emit Swept(token, to, amount);
        _pushOrRevert(token, to, amount);
    }

    /// @notice Ownership cannot be renounced: pausing and the allowlist must always have a keeper.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    // ---------------------------------------------------------------- fee recipient and claims

    /// @notice Sends all accrued fees in `token` to the fee recipient.
    /// @dev Only the fee recipient.
    /// @param token The token whose fees to withdraw.
    function withdrawFees(address token) external {
        address recipient = _config.feeRecipient;
        if (msg.sender != recipient) revert NotAuthorized(msg.sender);
        uint256 amount = accruedFees[token];
        if (amount == 0) revert NothingToClaim(recipient, token);
        accruedFees[token] = 0;
        emit FeesWithdrawn(token, recipient, amount);
        _pushOrRevert(token, recipient, amount);
    }

    /// @notice Sends the caller's deferred payouts in `token` to `to`.
    /// @dev This is how a blacklisted or reverting recipient redirects its own payout.
    /// @param token The token of the deferred payouts.
    /// @param to Receives the tokens; any address the recipient controls.
    function claim(address token, address to) external {
        _claim(msg.sender, token, to);
    }

    // ---------------------------------------------------------------- views

    /// @notice Whether invoices in `token` can be paid now.
    function isTokenAllowed(address token) external view returns (bool) {
        return _tokenStatus[token].allowed;
    }

    /// @notice Whether `token` was ever allowlisted (and so can never be swept).
    function wasTokenAllowed(address token) external view returns (bool) {
        return _tokenStatus[token].everAllowed;
    }

    /// @notice The protocol fee, in basis points, for escrows funded now.
    function feeBps() external view returns (uint16) {
        return _config.feeBps;
    }

    /// @notice Who may withdraw accrued protocol fees.
    function feeRecipient() external view returns (address) {
        return _config.feeRecipient;
    }

    /// @notice Whether new deposits are paused.
    function depositsPaused() external view returns (bool) {
        return _config.depositsPaused;
    }

    // ---------------------------------------------------------------- internals

    /// @dev Starts a deposit: checks the pause flag and the token, takes the deposit lock and returns the
    /// current fee. Every path that measures a balance delta runs between this and {_exitDeposit}.
    function _enterDeposit(address token) internal returns (uint16 currentFeeBps) {
        Config memory config = _config;
        if (config.depositLock == _LOCKED) revert ReentrantDeposit();
        if (config.depositsPaused) revert DepositsArePaused();
        if (!_tokenStatus[token].allowed) revert TokenNotAllowed(token);
        _config.depositLock = _LOCKED;
        return config.feeBps;
    }

    /// @dev Ends a deposit: releases the lock taken by {_enterDeposit}.
    function _exitDeposit() internal {
        _config.depositLock = _UNLOCKED;
    }

    /// @dev Protocol fee on `amount` released to a payee, rounded up so that splitting a release into
    /// parts never lowers the total fee.
    function _feeOn(uint256 amount, uint16 escrowFeeBps) internal pure returns (uint256) {
        if (escrowFeeBps == 0) return 0;
        return (amount * escrowFeeBps + _BPS_DENOMINATOR - 1) / _BPS_DENOMINATOR;
    }

    /// @dev Adds `fee` to the protocol's accrued fees in `token`.
    function _accrueFee(address token, uint256 fee) internal {
        if (fee != 0) accruedFees[token] += fee;
    }

    /// @dev Pays `amount` to `recipient`; if the token refuses (blacklisted or reverting recipient) the
    /// amount is credited to the recipient's deferred payouts so the rest of the call goes through.
    function _payout(address token, address recipient, uint256 amount) internal {
        if (amount == 0) return;
        if (!token.tryPush(recipient, amount)) {
            deferredPayouts[recipient][token] += amount;
            emit PayoutDeferred(recipient, token, amount);
        }
    }

    /// @dev Sends `recipient`'s deferred payouts in `token` to `to`.
    function _claim(address recipient, address token, address to) internal {
        if (to == address(0)) revert ZeroAddress();
        uint256 amount = deferredPayouts[recipient][token];
        if (amount == 0) revert NothingToClaim(recipient, token);
        deferredPayouts[recipient][token] = 0;
        emit PayoutClaimed(recipient, token, to, amount);
        _pushOrRevert(token, to, amount);
    }

    /// @dev A push whose failure must undo the call: the caller chose the recipient and can choose again.
    function _pushOrRevert(address token, address to, uint256 amount) private {
        if (!token.tryPush(to, amount)) revert TokenMovements.TokenMovementsPushFailed(token, to);
    }
}
