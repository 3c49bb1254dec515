/**
 * `npm run tron:compile`: compiles every contract with tronbox, offline.
 *
 * tronbox downloads its compiler into `$HOME/.tronbox/solc/soljson_v<version>.js` unless that file
 * already exists. This script points HOME at the project-local, git-ignored `.tronbox-home/`, puts
 * the npm `solc` package's soljson.js there (the same compiler Hardhat uses), runs `tronbox compile`
 * and checks that `build/tron/EscrowVault.json` came out. Extra arguments go to tronbox.
 *
 * It always passes `--all`: tronbox's incremental mode misses contracts added after the last build,
 * and a deployment must never pick up a stale artifact.
 */
"use strict";

const { spawnSync } = require("node:child_process");
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..", "..");
const LOCAL_HOME = path.join(ROOT, ".tronbox-home");
const ARTIFACT = "EscrowVault";
/** CBOR metadata at the end of solc 0.8 runtime bytecode: 53 bytes, length word included. */
const METADATA_HEX_CHARS = 53 * 2;

function fail(message) {
  console.error(`tron:compile failed: ${message}`);
  process.exit(1);
}

function sha256File(file) {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** Puts the npm `solc` package's soljson.js where tronbox looks for it; returns the version. */
function installCompiler(config) {
  const wanted = config.compilers?.solc?.version;
  if (!wanted) fail("tronbox.js sets no compilers.solc.version.");
  let solcPackage;
  try {
    solcPackage = require("solc/package.json");
  } catch {
    fail("the npm package `solc` is missing: run `npm ci` first.");
  }
  if (solcPackage.version !== wanted) {
    fail(
      `tronbox.js asks for solc ${wanted} but node_modules has solc ${solcPackage.version}. ` +
        "Pin the same version in package.json and tronbox.js (tronbox accepts at most 0.8.29).",
    );
  }
  const source = require.resolve("solc/soljson.js");
  const target = path.join(LOCAL_HOME, ".tronbox", "solc", `soljson_v${wanted}.js`);
  if (fs.existsSync(target) && sha256File(target) === sha256File(source)) {
    console.log(`[1/3] Compiler solc ${wanted} already in ${path.relative(ROOT, target)}`);
  } else {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(source, target);
    console.log(`[1/3] Copied solc ${wanted} (node_modules/solc/soljson.js) to ${path.relative(ROOT, target)}`);
  }
  return wanted;
}

function runTronbox(args) {
  let bin;
  try {
    const tronboxPackage = require.resolve("tronbox/package.json");
    bin = path.join(path.dirname(tronboxPackage), require(tronboxPackage).bin.tronbox);
  } catch {
    fail("tronbox is not installed: run `npm ci` first.");
  }
  console.log(`[2/3] tronbox compile ${args.join(" ")}`.trimEnd());
  const result = spawnSync(process.execPath, [bin, "compile", ...args], {
    cwd: ROOT,
    stdio: "inherit",
    // homedir() reads HOME (USERPROFILE on Windows); the local home keeps tronbox off the network.
    env: { ...process.env, HOME: LOCAL_HOME, USERPROFILE: LOCAL_HOME },
  });
  if (result.error) fail(`could not start tronbox: ${result.error.message}`);
  if (result.status !== 0) fail(`tronbox compile exited with code ${result.status}; its errors are printed above.`);
}

/** Checks the artifact and reports its size and whether it matches Hardhat's bytecode. */
function checkArtifact(config) {
  const buildDir = path.resolve(ROOT, config.contracts_build_directory ?? "build/contracts");
  const file = path.join(buildDir, `${ARTIFACT}.json`);
  if (!fs.existsSync(file)) fail(`${path.relative(ROOT, file)} was not written.`);
  const artifact = JSON.parse(fs.readFileSync(file, "utf8"));
  if (!/^0x[0-9a-f]{2,}$/i.test(artifact.bytecode ?? "")) fail(`${path.relative(ROOT, file)} has no bytecode.`);
  const runtimeBytes = (artifact.deployedBytecode.length - 2) / 2;
  console.log(`[3/3] ${path.relative(ROOT, file)}: ${runtimeBytes} bytes of runtime code (${artifact.compiler?.version})`);

  const hardhatFile = path.join(ROOT, "artifacts", "contracts", `${ARTIFACT}.sol`, `${ARTIFACT}.json`);
  if (fs.existsSync(hardhatFile)) {
    const hardhat = JSON.parse(fs.readFileSync(hardhatFile, "utf8"));
    const strip = (code) => code.slice(0, -METADATA_HEX_CHARS);
    const same = strip(hardhat.deployedBytecode) === strip(artifact.deployedBytecode);
    console.log(
      same
        ? "      Same runtime code as Hardhat's artifact (metadata hash aside)."
        : "      NOTE: runtime code differs from Hardhat's artifact: rerun `npx hardhat compile` and compare settings.",
    );
  }
}

function main() {
  const started = Date.now();
  let config;
  try {
    config = require(path.join(ROOT, "tronbox.js"));
  } catch (error) {
    fail(`cannot load tronbox.js: ${error.message}`);
  }
  installCompiler(config);
  const args = process.argv.slice(2);
  runTronbox(args.includes("--all") ? args : ["--all", ...args]);
  checkArtifact(config);
  console.log(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

main();
