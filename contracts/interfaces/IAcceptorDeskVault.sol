// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

/// @title IAcceptorDeskVault
/// @notice The vault's configuration the desk follows: the token allowlist, the deposit pause and the
/// merchants' invoice signers. Implemented by {EscrowVault}; declared here so the vault's interfaces
/// stay untouched.
interface IAcceptorDeskVault {
    /// @notice Whether new deposits in `token` are accepted.
    function isTokenAllowed(address token) external view returns (bool);

    /// @notice Whether new deposits are paused.
    function depositsPaused() external view returns (bool);

    /// @notice The extra key a merchant lets sign for it (zero when none).
    function invoiceSigner(address merchant) external view returns (address);
}
