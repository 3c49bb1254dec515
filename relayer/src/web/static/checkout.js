// Checkout page enhancements: countdown, copy buttons, live status over Server-Sent Events, paying
// with an injected wallet (EIP-1193, or TronLink on TRON) and the payer's gasless release/dispute.

import { approveZeroData, connect, EIP712_DOMAIN, ensureChain, injectedEthereum, randomNonce, sendAndWait, signTypedData, tokenAllowance, tokenBalance, WalletError } from "./wallet.js";
import { payWithTronLink, signWithTronLink } from "./tron.js";

const data = JSON.parse(document.getElementById("checkout-data").textContent);
const $ = (id) => document.getElementById(id);
let state = data.state;
let localStatus = null;

function t(key, params = {}) {
  return (data.messages[key] || key).replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

function formatUnits(units) {
  const base = 10n ** BigInt(data.decimals);
  const whole = (units / base).toString();
  const fraction = (units % base).toString().padStart(data.decimals, "0").replace(/0+$/, "").padEnd(2, "0");
  return `${whole}.${fraction}`;
}

function say(key, params, isError = false) {
  const box = $("wallet-message");
  box.textContent = t(key, params);
  box.hidden = false;
  box.classList.toggle("error", isError);
}

function explain(error) {
  if (!(error instanceof WalletError)) return say("wallet.failed", { reason: String(error && error.message) }, true);
  const params = { network: data.chain, chainId: data.chainId, token: data.tokenLabel, amount: formatUnits(BigInt(data.amount)), reason: error.message };
  if (error.kind === "insufficient") params.balance = formatUnits(error.details.balance);
  if (error.kind === "not-payer") params.payer = error.details.payer;
  const key = { none: "wallet.none", "none-tron": "wallet.noTron", "wrong-network": "wallet.wrongNetwork", rejected: "wallet.rejected", insufficient: "wallet.insufficient", "not-payer": "wallet.notPayer" }[error.kind] || "wallet.failed";
  say(key, params, true);
}

function render() {
  // A transaction we sent shows as "seen" until the relayer confirms it (or something else happens).
  const status = localStatus === "seen" && state.status === "waiting" ? "seen" : state.status;
  const box = $("status");
  box.dataset.status = status;
  box.textContent = t(`status.${status}`);
  $("pay").hidden = !(status === "waiting" || status === "seen");
  const escrow = state.escrow;
  const open = escrow && (escrow.status === "open" || escrow.status === "disputed");
  $("escrow").hidden = !open;
  if (open) {
    const deadline = new Date(escrow.deadline * 1000);
    const shown = deadline.toLocaleString(data.lang === "zh" ? "zh-CN" : "en", { timeZoneName: "short" });
    $("deadline").textContent = shown;
    $("escrow-text").textContent = t("checkout.escrowText", { deadline: shown, timeoutParty: data.timeoutParty });
    $("deadline").setAttribute("datetime", deadline.toISOString());
    $("escrow-actions").hidden = escrow.status !== "open";
    $("dispute-button").hidden = !(escrow.hasArbiter && escrow.status === "open");
  }
  tickCountdown();
}

function tickCountdown() {
  const el = $("countdown");
  const left = data.payBy - Math.floor(Date.now() / 1000);
  if (state.status !== "waiting" || left <= 0) {
    el.textContent = "";
    return;
  }
  const h = Math.floor(left / 3600);
  const m = Math.floor((left % 3600) / 60);
  const s = left % 60;
  el.textContent = `${t("checkout.timeLeft")}: ${h > 0 ? `${h}:` : ""}${String(m).padStart(h > 0 ? 2 : 1, "0")}:${String(s).padStart(2, "0")}`;
}

function copyButtons() {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.hidden = false;
    const label = button.textContent;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(button.dataset.copy);
        button.textContent = t("checkout.copied");
        setTimeout(() => (button.textContent = label), 1500);
      } catch {
        // Clipboard refused (insecure context): the value is selectable on the page.
      }
    });
  }
}

function liveStatus() {
  if (!("EventSource" in window)) return;
  const source = new EventSource(data.eventsUrl);
  source.addEventListener("state", (event) => {
    state = JSON.parse(event.data);
    if (state.status !== "waiting") localStatus = null;
    render();
  });
}

async function payEvm() {
  const provider = injectedEthereum();
  const account = await connect(provider);
  await ensureChain(provider, data.chainId);
  const amount = BigInt(data.amount);
  const balance = await tokenBalance(provider, data.tokenHex, account);
  if (balance < amount) throw new WalletError("insufficient", "", { balance });
  const allowance = await tokenAllowance(provider, data.tokenHex, account, data.vaultHex);
  const [approve, pay] = data.steps;
  if (allowance < amount) {
    say("wallet.approving");
    if (allowance > 0n) await sendAndWait(provider, account, data.tokenHex, approveZeroData(data.vaultHex));
    await sendAndWait(provider, account, data.tokenHex, approve.data);
  }
  say("wallet.paying");
  await sendAndWait(provider, account, data.vaultHex, pay.data, () => {
    localStatus = "seen";
    say("wallet.waiting");
    render();
  });
}

async function pay() {
  const button = $("pay-button");
  button.disabled = true;
  try {
    if (data.kind === "tron") {
      await payWithTronLink(data, (key) => say(key), () => {
        localStatus = "seen";
        render();
      });
    } else {
      await payEvm();
    }
    $("wallet-message").hidden = true;
  } catch (error) {
    localStatus = null;
    render();
    explain(error);
  } finally {
    button.disabled = false;
  }
}

function typedData(action) {
  const fields = action === "release" ? ["escrowId", "amount", "nonce", "validBefore"] : ["escrowId", "nonce", "validBefore"];
  const kinds = { escrowId: "bytes32", amount: "uint256", nonce: "uint256", validBefore: "uint256" };
  const primaryType = action === "release" ? "Release" : "Dispute";
  const message = { escrowId: data.invoiceId, amount: state.escrow.remaining, nonce: randomNonce(), validBefore: state.validBefore };
  if (action !== "release") delete message.amount;
  return {
    types: { EIP712Domain: EIP712_DOMAIN, [primaryType]: fields.map((name) => ({ name, type: kinds[name] })) },
    domain: { name: "EscrowVault", version: "1", chainId: data.domainChainId, verifyingContract: data.vaultHex },
    primaryType,
    message,
  };
}

async function payerAction(action) {
  const typed = typedData(action);
  say("wallet.signing");
  let signer;
  let signature;
  if (data.kind === "tron") {
    ({ signer, signature } = await signWithTronLink(typed));
  } else {
    const provider = injectedEthereum();
    signer = await connect(provider);
    if (signer.toLowerCase() !== state.escrow.payer.toLowerCase()) throw new WalletError("not-payer", "", { payer: state.escrow.payer });
    await ensureChain(provider, data.chainId);
    signature = await signTypedData(provider, signer, typed);
  }
  const body = { authorization: { signer, nonce: typed.message.nonce, validBefore: typed.message.validBefore, signature } };
  if (action === "release") body.amount = typed.message.amount;
  const response = await fetch(`${data.actionsUrl}/${action}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (response.status !== 202) {
    const problem = await response.json().catch(() => ({}));
    throw new WalletError("failed", [problem.detail, ...(problem.hints || [])].filter(Boolean).join(" ") || `HTTP ${response.status}`);
  }
  say("wallet.submitted");
}

function actionButton(id, action) {
  $(id).addEventListener("click", async () => {
    $(id).disabled = true;
    try {
      await payerAction(action);
    } catch (error) {
      explain(error);
    } finally {
      $(id).disabled = false;
    }
  });
}

$("wallet").hidden = false;
$("pay-button").addEventListener("click", pay);
actionButton("release-button", "release");
actionButton("dispute-button", "dispute");
copyButtons();
setInterval(tickCountdown, 1000);
render();
liveStatus();
