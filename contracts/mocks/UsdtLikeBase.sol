// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

/// @title UsdtLikeBase
/// @notice The bookkeeping shared by the USDT imitations: 6 decimals, a blacklist, the
/// `basisPointsRate`/`maximumFee` fee switch, and `approve` that refuses non-zero to non-zero.
/// @dev Tether's blacklist blocks senders; USDC's also blocks recipients. This mock blocks both so that
/// tests cover the harder case of a payout to a blocked recipient.
abstract contract UsdtLikeBase {
    string public name = "Tether USD (test)";
    string public symbol = "USDT";
    uint8 public constant decimals = 6;
    uint256 public totalSupply;
    uint256 public basisPointsRate;
    uint256 public maximumFee;
    address public immutable feeCollector;

    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    mapping(address => bool) public isBlackListed;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor() {
        feeCollector = msg.sender;
    }

    function mint(address to, uint256 amount) external {
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    function setBlackListed(address account, bool blocked) external {
        isBlackListed[account] = blocked;
    }

    /// @notice Switches on Tether's transfer fee (zero today on both chains).
    function setParams(uint256 newBasisPoints, uint256 newMaxFee) external {
        basisPointsRate = newBasisPoints;
        maximumFee = newMaxFee;
    }

    function _approve(address owner, address spender, uint256 value) internal {
        // Tether's rule against the approve front-running race: set to zero first.
        require(!(value != 0 && allowance[owner][spender] != 0), "USDT: approve from non-zero");
        allowance[owner][spender] = value;
        emit Approval(owner, spender, value);
    }

    function _spendAllowance(address owner, address spender, uint256 value) internal {
        uint256 allowed = allowance[owner][spender];
        require(allowed >= value, "USDT: allowance");
        if (allowed != type(uint256).max) allowance[owner][spender] = allowed - value;
    }

    function _move(address from, address to, uint256 value) internal {
        require(!isBlackListed[from], "USDT: sender blacklisted");
        require(!isBlackListed[to], "USDT: recipient blacklisted");
        require(balanceOf[from] >= value, "USDT: balance");
        uint256 fee = (value * basisPointsRate) / 10_000;
        if (fee > maximumFee) fee = maximumFee;
        balanceOf[from] -= value;
        balanceOf[to] += value - fee;
        emit Transfer(from, to, value - fee);
        if (fee > 0) {
            balanceOf[feeCollector] += fee;
            emit Transfer(from, feeCollector, fee);
        }
    }
}
