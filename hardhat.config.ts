import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-toolbox";

/** The one compiler every chain gets: tronbox accepts at most 0.8.29. */
const SOLC_VERSION = "0.8.29";

// Hardhat would download the compiler; this machine and CI have no internet, so the
// pinned npm `solc` package (soljson.js) is handed to it instead.
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper(args);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc") as { version(): string };
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion: solc.version(),
  };
});

/** TRON mainnet's chain id as TIP-712 sees it; `npm run test:tron` runs the suite under it. */
const chainId = Number(process.env.HARDHAT_CHAIN_ID ?? 31337);

/** EVM testnets and mainnets come from the environment: `<NAME>_RPC_URL` and `DEPLOYER_PRIVATE_KEY`. */
function remoteNetwork(name: string) {
  const url = process.env[`${name.toUpperCase()}_RPC_URL`];
  const key = process.env.DEPLOYER_PRIVATE_KEY;
  return url ? { url, accounts: key ? [key] : [] } : undefined;
}
const remoteNetworks = Object.fromEntries(
  ["sepolia", "mainnet", "bsc", "polygon", "arbitrum", "base"].flatMap((name) => {
    const network = remoteNetwork(name);
    return network ? [[name, network]] : [];
  }),
);

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      optimizer: { enabled: true, runs: 10_000 },
      evmVersion: "paris",
    },
  },
  networks: {
    hardhat: { chainId },
    localhost: { url: process.env.LOCAL_RPC_URL ?? "http://127.0.0.1:8545" },
    ...remoteNetworks,
  },
  paths: {
    tests: "./test/contracts",
  },
  mocha: {
    timeout: 120_000,
  },
  gasReporter: {
    enabled: process.env.REPORT_GAS === "true",
  },
};

export default config;
