// solidity-coverage: measure the product contracts only; the mocks exist to exercise them.
module.exports = {
  skipFiles: ["mocks/"],
  // Instrumentation changes gas use, so tests that pin exact gas behaviour are left out of the
  // coverage run (they run in the normal suite): the out-of-gas scans and the property tests.
  mocha: { grep: "@gas-sensitive|property", invert: true },
};
