// Escrow page: sign a Refund (payee) or Release (arbiter while disputed) with the merchant's
// injected wallet. The server hands out the typed data (fresh nonce, validBefore from chain time)
// and checks the signature before queueing it for the relayer to submit.

import { connect, ensureChain, injectedEthereum, signTypedData, WalletError } from "./wallet.js";

const island = document.getElementById("escrow-data");
const data = island ? JSON.parse(island.textContent) : null;
const message = document.getElementById("action-message");

function show(text, isError = false) {
  message.textContent = text;
  message.classList.toggle("error", isError);
}

function explain(error) {
  if (!(error instanceof WalletError)) return show(String((error && error.message) || error), true);
  const texts = {
    none: "No browser wallet found: install one, or use the relayer-signed refund if it is offered.",
    "wrong-network": `Switch your wallet to chain id ${data.chainId} and try again.`,
    rejected: "You rejected the signature in your wallet. Nothing was sent.",
  };
  show(texts[error.kind] || `That did not work: ${error.message}`, true);
}

async function act(action) {
  const amount = document.getElementById("action-amount").value.trim();
  const provider = injectedEthereum();
  const account = await connect(provider);
  await ensureChain(provider, data.chainId);
  const typedResponse = await fetch(`${data.typedDataUrl}?action=${action}&amount=${encodeURIComponent(amount)}`, { credentials: "same-origin" });
  const typed = await typedResponse.json();
  if (!typedResponse.ok) throw new WalletError("failed", typed.detail || `HTTP ${typedResponse.status}`);
  show("Sign the message in your wallet…");
  const signature = await signTypedData(provider, account, typed);
  const response = await fetch(data.actionsUrl, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrf-token": data.csrf },
    body: JSON.stringify({ action, amount, authorization: { signer: account, nonce: typed.message.nonce, validBefore: typed.message.validBefore, signature } }),
  });
  const body = await response.json().catch(() => ({}));
  if (response.status !== 202) throw new WalletError("failed", [body.detail, ...(body.hints || [])].filter(Boolean).join(" ") || `HTTP ${response.status}`);
  show(`${action === "refund" ? "Refund" : "Release"} queued (${body.actionId}); the relayer submits it now. Reload to see it in the timeline.`);
}

function wire(id, action) {
  const button = document.getElementById(id);
  if (!button) return;
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await act(action);
    } catch (error) {
      explain(error);
    } finally {
      button.disabled = false;
    }
  });
}

if (data && document.getElementById("wallet-actions")) {
  document.getElementById("wallet-actions").hidden = false;
  wire("refund-wallet", "refund");
  wire("release-wallet", "release");
}
