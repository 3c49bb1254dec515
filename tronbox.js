/**
 * tronbox configuration (loaded as CommonJS).
 *
 * Compile offline with `npm run tron:compile` (scripts/tron/compile.js hands tronbox the npm `solc`
 * package's soljson.js, so nothing is downloaded). Deploy with `npm run tron:deploy -- --network nile`
 * (scripts/tron/deploy.js reads `fullHost` and `feeLimit` from here). See docs/tron.md.
 *
 * The compiler settings must stay equal to hardhat.config.ts so every chain runs the same bytecode.
 * The private key only comes from the environment (TRON_PRIVATE_KEY); never write it here.
 */

/** Default fee limit of a transaction in sun (1 TRX = 1,000,000 sun): the most TRX it may burn for energy. */
const FEE_LIMIT_SUN = Number(process.env.TRON_FEE_LIMIT_SUN ?? 1_000 * 1e6);

const network = (fullHost, networkId) => ({
  privateKey: process.env.TRON_PRIVATE_KEY,
  // Callers pay all the energy of their calls; the deployer's energy is never drawn on.
  userFeePercentage: 100,
  feeLimit: FEE_LIMIT_SUN,
  fullHost,
  network_id: networkId,
});

module.exports = {
  networks: {
    mainnet: network("https://api.trongrid.io", "1"),
    shasta: network("https://api.shasta.trongrid.io", "2"),
    nile: network("https://nile.trongrid.io", "3"),
  },
  compilers: {
    solc: {
      // tronbox accepts at most 0.8.29; the npm `solc` package is pinned to the same version.
      version: "0.8.29",
      settings: {
        optimizer: { enabled: true, runs: 10_000 },
        evmVersion: "paris",
      },
    },
  },
  contracts_build_directory: "build/tron",
};
